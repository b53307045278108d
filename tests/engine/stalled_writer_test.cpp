// A writer that blocks (a hung disk, a stuck NFS mount) must not make the product wait: its
// calls complete, what does not fit is dropped and counted, and the count is recorded.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <introspect/introspect.hpp>

namespace ix = introspect;

namespace {
struct gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<bool> entered{false};
  void wait() {
    entered = true;
    std::unique_lock l(mu);
    cv.wait(l, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard l(mu);
      open = true;
    }
    cv.notify_all();
  }
};
gate* the_gate = nullptr;

// The store writer's interface, storing in memory, stalling on the first append until released.
struct stalling_writer {
  static inline std::atomic<std::uint64_t> appended{0};
  static inline std::vector<std::pair<std::string, std::int64_t>> metrics;  // name, value
  stalling_writer(const std::filesystem::path&, std::string_view, ix::store::writer_options) {}
  ix::store::stream_id stream(std::string_view, const ix::store::stream_options&) { return {}; }
  std::optional<ix::store::offset_t> append(ix::store::stream_id, std::int64_t, std::uint8_t kind,
                                            std::span<const std::byte> p, std::uint8_t = 0) {
    if (appended++ == 0) the_gate->wait();
    if (static_cast<ix::record_kind>(kind) == ix::record_kind::metric) {
      ix::record r;
      if (ix::codec::decode({reinterpret_cast<const char*>(p.data()), p.size()}, r) &&
          std::holds_alternative<std::int64_t>(r.val))
        metrics.emplace_back(r.name, std::get<std::int64_t>(r.val));
    }
    return appended.load();
  }
  std::optional<ix::store::offset_t> append(ix::store::stream_id id, std::int64_t ts,
                                            std::uint8_t k, std::string_view p,
                                            std::uint8_t f = 0) {
    return append(id, ts, k, std::as_bytes(std::span(p.data(), p.size())), f);
  }
  bool flush() { return true; }
  bool tick() { return true; }
  void apply_retention(std::int64_t) {}
  void put_meta(std::string_view, std::string_view) {}
  std::optional<std::vector<std::byte>> get_meta(std::string_view) const { return std::nullopt; }
  const ix::store::write_stats& stats() const { return stats_; }
  ix::store::write_stats stats_{};
};

using resolved = ix::detail::resolve<ix::tier::small>;
}  // namespace

TEST_CASE("a stalled writer never blocks the product; drops are counted and recorded",
          "[engine][pipeline][threads]") {
  gate g;
  the_gate = &g;
  constexpr std::size_t slots = 1024;
  constexpr int calls = 20'000;
  std::uint64_t queue_drops = 0;
  {
    ix::threaded_engine<resolved, ix::store_sink<resolved, stalling_writer>> e{
        ix::config{.store = "/unused", .instance = "n", .queue_slots = slots}};
    ix::record_view r;
    r.kind = ix::record_kind::notification;
    r.name = "first";
    e.emit(r);
    while (!g.entered) std::this_thread::yield();  // the writer thread is now stuck
    r.name = "while the writer is stuck";
    for (int i = 0; i < calls; ++i) e.emit(r);  // would hang here if the product could block
    const auto st = e.stats();
    CHECK(st.records == calls + 1);
    queue_drops = st.dropped_buffer_full;
    CHECK(queue_drops >= calls - slots);  // the queue kept at most its capacity
    CHECK(queue_drops <= calls);
    e.registry().count("after", 1);
    g.release();
    e.flush();
  }
  bool recorded = false;
  for (const auto& [name, v] : stalling_writer::metrics)
    if (name == "introspect.dropped.queue_full" && static_cast<std::uint64_t>(v) == queue_drops)
      recorded = true;
  CHECK(recorded);
}
