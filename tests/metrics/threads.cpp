// Multi-thread correctness of the metric handles; run under ThreadSanitizer (label "threads").
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "introspect/metrics/registry.hpp"

namespace m = introspect::metrics;

namespace {
template <class Fn>
void run_threads(int n, Fn fn) {
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i) ts.emplace_back(fn, i);
  for (auto& t : ts) t.join();
}
}  // namespace

TEST_CASE("concurrent increments are never lost", "[metrics][threads]") {
  m::counter c;
  constexpr int per_thread = 50000;
  // More threads than exclusive slots: some share cells with fetch_add.
  constexpr int threads = static_cast<int>(m::detail::exclusive_slots) + 6;
  std::atomic<int> ready{0};
  run_threads(threads, [&](int) {
    // Start together so the threads really overlap.
    ready.fetch_add(1);
    while (ready.load() < threads) std::this_thread::yield();
    for (int k = 0; k < per_thread; ++k) c.inc();
  });
  CHECK(c.value() == std::uint64_t{threads} * per_thread);
}

TEST_CASE("exclusive slots are recycled by later threads", "[metrics][threads]") {
  m::counter c;
  // Waves of short-lived threads: each wave reuses the slots released by the previous one.
  for (int wave = 0; wave < 20; ++wave)
    run_threads(4, [&](int) {
      for (int k = 0; k < 1000; ++k) c.inc(2);
    });
  CHECK(c.value() == 20u * 4 * 1000 * 2);
}

TEST_CASE("values read while writers run are monotonic", "[metrics][threads]") {
  m::counter c;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    std::uint64_t last = 0;
    while (!stop.load()) {
      const auto v = c.value();
      REQUIRE(v >= last);
      last = v;
    }
  });
  run_threads(4, [&](int) {
    for (int k = 0; k < 100000; ++k) c.inc();
  });
  stop = true;
  reader.join();
  CHECK(c.value() == 400000);
}

TEST_CASE("concurrent observations keep count sum min and max", "[metrics][threads]") {
  m::histogram h;
  constexpr int threads = 10;  // beyond the histogram's exclusive shards
  run_threads(threads, [&](int t) {
    for (int k = 1; k <= 10000; ++k) h.observe(k + t * 10000);
  });
  const auto s = h.snapshot();
  CHECK(s.count == 100000);
  CHECK(s.sum == std::int64_t{100000} * 100001 / 2);
  CHECK(s.min == 1);
  CHECK(s.max == 100000);
}

TEST_CASE("concurrent registration yields one handle per name", "[metrics][threads]") {
  m::registry reg;
  std::vector<m::counter*> handles(8, nullptr);
  std::atomic<bool> stop{false};
  std::thread snapshotter([&] {
    while (!stop.load()) {
      std::size_t n = 0;
      reg.snapshot([&](std::string_view, const auto&) { ++n; });
      (void)n;
    }
  });
  run_threads(8, [&](int t) {
    handles[static_cast<std::size_t>(t)] = &reg.counter("shared");
    for (int k = 0; k < 200; ++k) {
      reg.count("shared");
      reg.count("per." + std::to_string(k % 50));
      reg.observe("lat", k);
      reg.set("g", k);
    }
  });
  stop = true;
  snapshotter.join();
  for (auto* h : handles) CHECK(h == handles[0]);
  CHECK(reg.counter("shared").value() == 8 * 200);
  CHECK(reg.counter("per.0").value() == 8 * 4);
  CHECK(reg.histogram("lat").snapshot().count == 8 * 200);
  CHECK(reg.size() == 1 + 50 + 1 + 1);
}
