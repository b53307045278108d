#include "introspect/pipeline/bounded_queue.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "introspect/pipeline/event_slot.hpp"

namespace p = introspect::pipeline;
using namespace std::chrono_literals;

namespace {
template <class Q>
std::vector<int> drain_all(Q& q) {
  std::vector<int> out;
  q.drain([&](int& v) { out.push_back(v); });
  return out;
}
}  // namespace

TEST_CASE("capacity is rounded up to a power of two", "[pipeline][queue]") {
  CHECK(p::bounded_queue<int>(0).capacity() == 2);
  CHECK(p::bounded_queue<int>(5).capacity() == 8);
  CHECK(p::bounded_queue<int>(1024).capacity() == 1024);
}

TEST_CASE("items come out in FIFO order", "[pipeline][queue]") {
  p::bounded_queue<int> q(8);
  CHECK(q.empty());
  for (int i = 0; i < 5; ++i) CHECK(q.push(i) == p::push_result::pushed);
  CHECK(q.size() == 5);
  int v = -1;
  REQUIRE(q.try_pop(v));
  CHECK(v == 0);
  CHECK(drain_all(q) == std::vector<int>{1, 2, 3, 4});
  CHECK_FALSE(q.try_pop(v));
  // Wrap around the ring several times.
  for (int lap = 0; lap < 10; ++lap) {
    for (int i = 0; i < 8; ++i) REQUIRE(q.push(lap * 8 + i) == p::push_result::pushed);
    const auto got = drain_all(q);
    REQUIRE(got.size() == 8);
    CHECK(got.front() == lap * 8);
  }
}

TEST_CASE("drain honours its batch limit", "[pipeline][queue]") {
  p::bounded_queue<int> q(16);
  for (int i = 0; i < 10; ++i) q.push(i);
  std::vector<int> got;
  CHECK(q.drain([&](int& v) { got.push_back(v); }, 4) == 4);
  CHECK(got == std::vector<int>{0, 1, 2, 3});
  CHECK(q.drain([&](int& v) { got.push_back(v); }, 100) == 6);
  CHECK(q.drain([&](int&) {}, 100) == 0);
}

TEST_CASE("drop_newest rejects the new item and counts it", "[pipeline][queue][drop]") {
  p::bounded_queue<int, p::drop_newest> q(4);
  for (int i = 0; i < 4; ++i) CHECK(q.push(i) == p::push_result::pushed);
  CHECK(q.push(4) == p::push_result::dropped);
  CHECK(q.push(5) == p::push_result::dropped);
  CHECK(q.drops().get(p::drop_cause::queue_full) == 2);
  CHECK(q.drops().get(p::drop_cause::oversize) == 0);
  CHECK(drain_all(q) == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("drop_oldest evicts the oldest item and counts it", "[pipeline][queue][drop]") {
  p::bounded_queue<int, p::drop_oldest> q(4);
  for (int i = 0; i < 4; ++i) CHECK(q.push(i) == p::push_result::pushed);
  CHECK(q.push(4) == p::push_result::evicted);
  CHECK(q.push(5) == p::push_result::evicted);
  CHECK(q.drops().get(p::drop_cause::queue_full) == 2);
  CHECK(q.drops().total() == 2);
  CHECK(drain_all(q) == std::vector<int>{2, 3, 4, 5});
}

TEST_CASE("drop counters are exposed by cause name", "[pipeline][queue][drop]") {
  p::bounded_queue<int> q(2);
  q.push(1);
  q.push(2);
  q.push(3);
  q.count_drop(p::drop_cause::oversize, 2);
  std::vector<std::pair<std::string, std::uint64_t>> seen;
  q.drops().for_each([&](p::drop_cause, std::string_view name, std::uint64_t n) {
    seen.emplace_back(std::string(name), n);
  });
  CHECK(seen ==
        std::vector<std::pair<std::string, std::uint64_t>>{{"queue_full", 1}, {"oversize", 2}});
}

TEST_CASE("event slots carry kind, time and inline bytes", "[pipeline][event]") {
  p::event_queue<64, p::drop_newest> q(4);
  CHECK(p::publish(q, 3, 1234, "disk nearly full") == p::push_result::pushed);
  CHECK(p::publish(q, 1, 5, "") == p::push_result::pushed);
  CHECK(p::publish(q, 1, 6, std::string(64, 'x')) == p::push_result::pushed);  // exactly fits
  CHECK(p::publish(q, 1, 7, std::string(65, 'x')) == p::push_result::dropped);
  CHECK(q.drops().get(p::drop_cause::oversize) == 1);
  CHECK(q.drops().get(p::drop_cause::queue_full) == 0);
  CHECK(q.size() == 3);

  std::vector<std::string> payloads;
  q.drain([&](p::event_slot<64>& e) {
    payloads.emplace_back(e.payload());
    if (payloads.size() == 1) {
      CHECK(e.kind == 3);
      CHECK(e.ts == 1234);
      CHECK(e.data().size() == 16);
    }
  });
  CHECK(payloads == std::vector<std::string>{"disk nearly full", "", std::string(64, 'x')});
}

TEST_CASE("wait times out on an empty queue and returns at once on a full one",
          "[pipeline][wait]") {
  p::bounded_queue<int> q(4);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(q.wait(20ms));
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 15ms);
  CHECK(waited < 2s);
  q.push(1);
  CHECK(q.wait(10s));
}

TEST_CASE("a push wakes a sleeping consumer", "[pipeline][wait]") {
  p::bounded_queue<int> q(4);
  std::atomic<bool> woke{false};
  const auto t0 = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    while (!q.wait(10s)) {
    }
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  q.push(7);
  consumer.join();
  CHECK(woke);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("notify wakes a sleeping consumer without an item", "[pipeline][wait]") {
  p::bounded_queue<int> q(4);
  const auto t0 = std::chrono::steady_clock::now();
  std::thread consumer([&] { (void)q.wait(10s); });
  std::this_thread::sleep_for(50ms);
  // The consumer may not be asleep yet: notify until it returns.
  while (std::chrono::steady_clock::now() - t0 < 5s) {
    q.notify();
    std::this_thread::sleep_for(5ms);
    if (std::chrono::steady_clock::now() - t0 > 100ms) break;
  }
  consumer.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("drop policy must be one of the policy types", "[pipeline][queue]") {
  STATIC_REQUIRE(p::is_drop_policy_v<p::drop_newest>);
  STATIC_REQUIRE(p::is_drop_policy_v<p::drop_oldest>);
  STATIC_REQUIRE_FALSE(p::is_drop_policy_v<int>);
}
