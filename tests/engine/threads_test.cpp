#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>
#include <introspect/introspect.hpp>

#include "../support/temp_dir.hpp"
#include "read_back.hpp"

using ix_test::temp_dir;

namespace ix = introspect;

namespace {
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

template <class T>
std::size_t threads_started_by() {
  // ThreadSanitizer starts a background thread of its own at the first pthread_create: create
  // (and join) one first so that only the engine's threads are counted.
  std::thread([] {}).join();
  temp_dir d;
  const auto before = thread_count();
  T ins{ix::config{.store = d.path(), .instance = "n"}};
  ins.state("k", 1);
  ins.notify(ix::severity::info, "m");
  ins.tick();
  ins.flush();
  return thread_count() - before;
}
}  // namespace

TEST_CASE("each tier starts the threads design.md's tier matrix says", "[engine][threads]") {
  CHECK(threads_started_by<ix::tiny_introspection>() == 0);
  CHECK(threads_started_by<ix::small_introspection>() == 1);
  CHECK(threads_started_by<ix::medium_introspection>() == 1);
  CHECK(threads_started_by<ix::large_introspection>() == 1);
  STATIC_REQUIRE(ix::tiny_introspection::threads == 0);
  STATIC_REQUIRE(ix::small_introspection::threads == 1);
  STATIC_REQUIRE(ix::introspection<ix::sink::null>::threads == 0);
}

TEST_CASE("the writer thread ends with its instance", "[engine][threads]") {
  const auto before = thread_count();
  threads_started_by<ix::medium_introspection>();
  CHECK(thread_count() == before);
}

// The queue policy category: the shared queue by default in every tier, per_thread_rings on
// request, order-free beside a drop policy (which then applies to the shared queue alone); the
// spelling of the drop category's days names the same policy.
static_assert(std::is_same_v<ix::tier::medium::queue, ix::queue::shared_queue>);
static_assert(std::is_same_v<ix::tier::large::queue, ix::queue::shared_queue>);
static_assert(std::is_same_v<ix::per_thread_rings<>, ix::queue::per_thread_rings<>>);
static_assert(std::is_same_v<ix::detail::resolve<ix::drop_newest, ix::tier::medium,
                                                 ix::queue::per_thread_rings<2, 4096>>::queue,
                             ix::queue::per_thread_rings<2, 4096>>);
static_assert(std::is_same_v<ix::detail::resolve<ix::queue::per_thread_rings<>, ix::drop_newest,
                                                 ix::tier::medium>::drop,
                             ix::drop_newest>);
static_assert(std::is_same_v<ix::detail::resolve<ix::tier::medium, ix::per_thread_rings<>>::drop,
                             ix::drop_oldest>);

// queue::per_thread_rings (policy/drop.hpp): each recording thread stages its records in a ring
// of its own, which the writer drains beside the queue. Run under ThreadSanitizer (label
// "threads").
TEST_CASE("per-thread rings: every notification stored or counted once, each thread's in order",
          "[engine][threads][rings]") {
  using ringed = ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<4, 64 * 1024>>;
  STATIC_REQUIRE(ringed::engine_type::thread_rings);
  STATIC_REQUIRE_FALSE(ix::medium_introspection::engine_type::thread_rings);
  temp_dir d;
  // 6 threads for 4 rings: two of them record through the shared queue.
  constexpr int threads = 6, per_thread = 3000;
  ix::engine_stats s;
  {
    ringed ins{ix::config{.store = d.path(), .instance = "r"}};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&ins, t] {
        for (int k = 0; k < per_thread; ++k) {
          ins.notify(ix::severity::info, "ring",
                     {{"t", static_cast<std::int64_t>(t)}, {"k", static_cast<std::int64_t>(k)}});
          if (k % 64 == 0) std::this_thread::yield();
        }
      });
    for (auto& t : ts) t.join();
    ins.flush();
    // Every thread exited and its ring was read to the end at the flush: all were freed.
    CHECK(ins.engine().thread_ring_count() == 0);
    s = ins.stats();
  }
  std::vector<std::int64_t> last(threads, -1);
  std::uint64_t stored = 0;
  bool in_order = true;
  for (const auto& r : read_back(d.path(), "r")) {
    if (r.kind != ix::record_kind::notification || r.name != "ring") continue;
    const auto t = std::get<std::int64_t>(*r.find_field("t"));
    const auto k = std::get<std::int64_t>(*r.find_field("k"));
    in_order &= k > last[static_cast<std::size_t>(t)];
    last[static_cast<std::size_t>(t)] = k;
    ++stored;
  }
  CHECK(in_order);
  CHECK(s.dropped_oversize == 0);
  CHECK(stored + s.dropped_buffer_full == std::uint64_t{threads} * per_thread);
  CHECK(stored > 0);
}

TEST_CASE("per-thread rings: a thread that records after the flush is stored at close",
          "[engine][threads][rings]") {
  using ringed = ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<>>;
  temp_dir d;
  {
    ringed ins{ix::config{.store = d.path(), .instance = "c"}};
    std::atomic<bool> go{false}, recorded{false};
    // The thread keeps its ring (it has not exited) when the engine closes.
    std::thread t([&] {
      while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      for (int k = 0; k < 100; ++k) ins.notify(ix::severity::info, "late");
      recorded = true;
      while (go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    ins.flush();
    go = true;
    while (!recorded.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(ins.engine().thread_ring_count() == 1);
    go = false;
    t.join();
  }  // destroyed without a flush: the writer's last drain stores the ring
  std::size_t late = 0;
  for (const auto& r : read_back(d.path(), "c")) late += r.name == "late";
  CHECK(late == 100);
}
