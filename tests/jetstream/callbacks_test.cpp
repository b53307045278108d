// Our side of the libnats callback boundary, for ThreadSanitizer. libnats runs connection events
// and publish acknowledgments on its own threads, which TSan cannot see into (Debian's library
// is not instrumented), so CI runs the server tests under ASan only. Here threads of the test
// play the library's part: they call the very functions the forwarder hands to libnats, with the
// closure it hands over, while the forwarder runs, is read, stopped and destroyed. No server and
// no libnats connection thread take part; every race on our side is visible to TSan.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <introspect/jetstream/detail/callback_link.hpp>
#include <introspect/jetstream/forwarder.hpp>

#include "server.hpp"

namespace js = introspect::jetstream;
using std::chrono::milliseconds;

namespace {

struct counted_owner {
  long hits = 0;  // plain: only the link's lock orders the callbacks' writes
};

// Forwarded messages as libnats hands them to the ack handler (which takes ownership). Made on
// the main thread before the "library" threads start: libnats' own allocations on several
// threads would be reported by TSan, which cannot see the library's synchronisation.
std::vector<natsMsg*> forwarded_messages(int n) {
  // The library's own start-up, which connecting does for the forwarder (here it never gets
  // that far): messages are freed through its collector.
  REQUIRE(nats_Open(-1) == NATS_OK);
  std::vector<natsMsg*> out;
  for (int i = 0; i < n; ++i) {
    natsMsg* m = nullptr;
    REQUIRE(natsMsg_Create(&m, "introspect.node-1.metric", nullptr, "x", 1) == NATS_OK);
    const auto id = js::msg_id("node-1", "metric", static_cast<std::uint64_t>(i) * 40);
    REQUIRE(natsMsgHeader_Set(m, js::header::msg_id, id.c_str()) == NATS_OK);
    out.push_back(m);
  }
  return out;
}

}  // namespace

TEST_CASE("a callback_link serialises callbacks with detach; none runs after it",
          "[jetstream_callbacks][threads]") {
  using link_t = js::detail::callback_link<counted_owner>;
  auto* owner = new counted_owner;
  link_t* link = link_t::make(owner);
  std::atomic<bool> done{false};
  std::atomic<long> applied{0}, after_detach{0};
  std::atomic<bool> detached{false};
  std::vector<std::thread> library;
  for (int t = 0; t < 4; ++t)
    library.emplace_back([&] {
      while (!done.load()) {
        link->with_owner([&](counted_owner& o) {
          ++o.hits;
          applied.fetch_add(1);
          if (detached.load()) after_detach.fetch_add(1);
        });
      }
    });
  // Callbacks run while the owner is in use...
  while (applied.load() < 2000) std::this_thread::yield();
  link->detach();
  detached.store(true);
  const long hits = owner->hits;  // detach() waited for a running callback: no race here
  CHECK(hits == applied.load());
  // ...and keep coming after the owner is gone, as libnats' late ones do: they are no-ops.
  delete owner;
  std::this_thread::sleep_for(milliseconds(50));
  done.store(true);
  for (auto& t : library) t.join();
  CHECK(after_detach.load() == 0);
  CHECK(applied.load() == hits);
}

TEST_CASE("forwarder callbacks from other threads while it runs, stops and is destroyed",
          "[jetstream_callbacks][threads]") {
  js_test::temp_dir tmp("js-callbacks");
  std::mutex mu;
  std::vector<std::string> errors;
  js::forwarder_options o;
  // Port 0 is refused before libnats sees the URL: the worker keeps failing to connect (and
  // reporting it) meanwhile, on our side only, so TSan sees every access it makes.
  o.url = "nats://127.0.0.1:0";
  o.connect_timeout = milliseconds(100);
  o.backoff_min = milliseconds(5);
  o.backoff_max = milliseconds(20);
  o.on_error = [&](js::error_cause, std::string_view m) {
    std::lock_guard lk(mu);
    errors.emplace_back(m);
  };
  auto fw = std::make_unique<js::forwarder>(tmp.path() / "store", "node-1", o);
  void* closure = fw->callback_closure();
  fw->start();

  constexpr int rounds = 300;
  std::atomic<bool> go{false};
  auto events = [&] {
    while (!go.load()) std::this_thread::yield();
    for (int i = 0; i < rounds; ++i) {
      js::connection::on_disconnected(nullptr, closure);
      js::connection::on_reconnected(nullptr, closure);
      js::connection::on_closed(nullptr, closure);
    }
  };
  auto acks = [&](bool positive, std::vector<natsMsg*> msgs) {
    while (!go.load()) std::this_thread::yield();
    for (int i = 0; i < rounds; ++i) {
      char stream[] = "IX_node-1_metric";
      jsPubAck pa{stream, static_cast<std::uint64_t>(i + 1), nullptr, false};
      jsPubAckErr pae{nullptr, NATS_ERR, static_cast<jsErrCode>(10077),
                      "maximum messages exceeded"};
      js::connection::on_ack(nullptr, msgs[static_cast<std::size_t>(i)], positive ? &pa : nullptr,
                            positive ? nullptr : &pae, closure);
    }
  };
  {
    std::vector<std::thread> library;
    library.emplace_back(events);
    library.emplace_back(acks, true, forwarded_messages(rounds));
    library.emplace_back(acks, false, forwarded_messages(rounds));
    go.store(true);
    // Meanwhile the product side reads and pokes it, as an engine and a test do.
    for (int i = 0; i < 50; ++i) {
      auto s = fw->stats();
      CHECK(s.disconnects <= static_cast<std::uint64_t>(rounds));
      fw->wake();
      (void)fw->wait_idle(milliseconds(1));
    }
    for (auto& t : library) t.join();
  }
  // Every event and every negative acknowledgment was applied once, under the lock.
  const auto s = fw->stats();
  CHECK(s.disconnects == static_cast<std::uint64_t>(rounds));
  CHECK(s.connects == static_cast<std::uint64_t>(rounds));  // no real connection succeeded
  CHECK(s.errors_of(js::error_cause::limit) == static_cast<std::uint64_t>(rounds));
  CHECK(s.errors_of(js::error_cause::bad_url) >= 1);  // the worker ran meanwhile
  CHECK(s.acked == 0);  // no stream of this forwarder has those messages in flight

  // Stop and restart while callbacks keep coming, then destroy it under them: late callbacks
  // through the same closure must find no owner.
  go.store(false);
  std::vector<std::thread> library;
  library.emplace_back(events);
  library.emplace_back(acks, false, forwarded_messages(rounds));
  auto last = forwarded_messages(1);
  go.store(true);
  fw->stop();
  fw->start();
  fw.reset();
  std::size_t reported;
  {
    std::lock_guard lk(mu);
    reported = errors.size();
  }
  for (auto& t : library) t.join();
  js::connection::on_disconnected(nullptr, closure);
  js::connection::on_ack(nullptr, last[0], nullptr, nullptr, closure);
  std::lock_guard lk(mu);
  CHECK(errors.size() == reported);  // nothing reached the destroyed forwarder
  CHECK(reported >= 1);
}
