#include "introspect/pipeline/bounded_queue.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "introspect/codec/binary.hpp"
#include "introspect/pipeline/event_slot.hpp"
#include "introspect/pipeline/record_slot.hpp"

namespace p = introspect::pipeline;
namespace ix = introspect;
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

TEST_CASE("drain_runs takes items in FIFO order in runs, across laps", "[pipeline][queue]") {
  p::bounded_queue<int> q(8);
  std::vector<int> got;
  int next = 0;
  for (int lap = 0; lap < 6; ++lap) {
    const int n = 3 + lap;  // 3..8 items: runs of 3, wrapping the ring at a different place
    for (int i = 0; i < n; ++i) REQUIRE(q.push(next++) == p::push_result::pushed);
    CHECK(q.drain_runs([&](int& v) { got.push_back(v); }, 3) == static_cast<std::size_t>(n));
    CHECK(q.empty());
  }
  std::vector<int> expected(static_cast<std::size_t>(next));
  for (int i = 0; i < next; ++i) expected[static_cast<std::size_t>(i)] = i;
  CHECK(got == expected);
  CHECK(q.drain_runs([&](int&) {}) == 0);
  // Every slot was handed back: a whole lap fits again.
  for (int i = 0; i < 8; ++i) CHECK(q.push(i) == p::push_result::pushed);
  CHECK(q.drain_runs([](int&) {}, 0) == 8);  // a run of 0 is taken as 1
}

TEST_CASE("drain_runs: the item fn throws on is spent, the rest of its run is queued again",
          "[pipeline][queue]") {
  p::bounded_queue<int, p::drop_oldest> q(8);
  for (int i = 0; i < 6; ++i) q.push(i);
  std::vector<int> got;
  CHECK_THROWS_AS(q.drain_runs(
                      [&](int& v) {
                        if (v == 2) throw std::runtime_error("sink failed");
                        got.push_back(v);
                      },
                      4),
                  std::runtime_error);
  CHECK(got == std::vector<int>{0, 1});
  CHECK(q.size() == 3);  // 3 (the rest of the run [0, 4)) and 4, 5 after it
  CHECK(q.drain_runs([&](int& v) { got.push_back(v); }) == 3);
  CHECK(got == std::vector<int>{0, 1, 3, 4, 5});
  CHECK(q.drops().total() == 0);
  // No slot stayed claimed: a full lap, then one more evicting the oldest.
  for (int i = 10; i < 18; ++i) CHECK(q.push(i) == p::push_result::pushed);
  CHECK(q.push(18) == p::push_result::evicted);
  got.clear();
  CHECK(q.drain_runs([&](int& v) { got.push_back(v); }, 5) == 8);
  CHECK(got == std::vector<int>{11, 12, 13, 14, 15, 16, 17, 18});
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

TEST_CASE("a notify() made while the consumer is busy is not lost", "[pipeline][wait]") {
  // The writer's flush(): the request is made while the consumer is draining, not sleeping.
  // Its next wait() must return at once instead of sleeping to its tick (a lost wake-up made
  // every flush() of a busy writer wait a whole tick: the demo ran 9x slower).
  p::bounded_queue<int> q(16);
  q.notify();  // nobody asleep
  const auto t0 = std::chrono::steady_clock::now();
  (void)q.wait(60s, 8);
  CHECK(std::chrono::steady_clock::now() - t0 < 30s);
  // Spent: the next wait() sleeps to its timeout again.
  const auto t1 = std::chrono::steady_clock::now();
  (void)q.wait(30ms, 8);
  CHECK(std::chrono::steady_clock::now() - t1 >= 25ms);
}

TEST_CASE("pushes below the fill mark leave the consumer asleep; the one reaching it wakes it",
          "[pipeline][wait]") {
  p::bounded_queue<int> q(16);
  std::atomic<bool> woke{false};
  std::atomic<std::size_t> seen{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    (void)q.wait(10s, 4);
    seen = q.size();
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < 3; ++i) q.push(i);
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(woke);  // three of four: no wake-up, the consumer sleeps on
  q.push(3);
  consumer.join();
  CHECK(woke);
  CHECK(seen == 4);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("a consumer below its fill mark still wakes at its own tick", "[pipeline][wait]") {
  p::bounded_queue<int> q(16);
  q.push(1);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(q.wait(30ms, 8));  // one item queued, the mark is 8: back after the timeout
  CHECK(std::chrono::steady_clock::now() - t0 >= 25ms);
  q.push(2);
  q.push(3);
  CHECK(q.wait(10s, 3));  // already at the mark: at once
  CHECK(q.pushed() == 3);
}

TEST_CASE("a record encoded into its slot is codec::encode's payload", "[pipeline][event]") {
  const ix::field_view f3[] = {{"disk", "sdb"}, {"used_pct", std::int64_t{-91}}, {"ok", true}};
  const ix::field_view f2[] = {{"ratio", 0.25}, {"none", ix::value_view{}}};
  const std::string big(300, 'z');
  std::vector<ix::record_view> rs(6);
  rs[0].name = "disk nearly full";
  rs[0].source = "product";
  rs[0].sev = ix::severity::warning;
  rs[0].kind = ix::record_kind::notification;
  rs[0].fields = f3;
  rs[1].name = "container/3";
  rs[1].val = "RECOVERING";
  rs[1].flags = ix::flag_table;
  rs[2].name = "latency";
  rs[2].mtype = ix::metric_type::histogram;
  rs[2].val = std::int64_t{1} << 40;
  rs[2].fields = f2;
  rs[3].name = big;  // lengths over 127 take two varint bytes
  rs[3].val = -1.5;
  rs[4].val = std::int64_t{-64};
  rs[5].name = std::string_view{};
  for (std::size_t i = 0; i < rs.size(); ++i) {
    rs[i].ts_ns = 1000 + static_cast<std::int64_t>(i);
    std::string expected;
    ix::codec::encode(rs[i], expected);
    CHECK(p::encoded_size(rs[i]) == expected.size());
    p::event_queue<512> q(4);
    CHECK(p::publish_record(q, rs[i]) == p::push_result::pushed);
    q.drain([&](p::event_slot<512>& s) {
      CHECK(s.payload() == expected);
      CHECK(s.ts == rs[i].ts_ns);
      CHECK(s.kind == static_cast<std::uint8_t>(rs[i].kind));
      p::payload_head h;
      REQUIRE(p::read_head(s.payload(), h));
      CHECK(h.name == rs[i].name);
      CHECK(h.source == rs[i].source);
      CHECK(h.flags == rs[i].flags);
    });
  }
  // Larger than a slot: dropped as oversize before the ring is touched.
  p::event_queue<64> small(4);
  CHECK(p::publish_record(small, rs[3]) == p::push_result::dropped);
  CHECK(small.drops().get(p::drop_cause::oversize) == 1);
  CHECK(small.pushed() == 0);
}

TEST_CASE("a record near the slot's size is sized exactly: pushed when it fits, else oversize",
          "[pipeline][event]") {
  // publish_record encodes a record whose size_bound() fits the slot without sizing it first;
  // past the bound (which counts the most every varint can take) it sizes the record exactly.
  // Around the slot's size, every record must land as encode() says: in, or dropped as oversize.
  constexpr std::size_t slot = 128;
  const std::string text(200, 'q');
  std::size_t fits_past_bound = 0;
  for (std::size_t name_len = 40; name_len <= 130; ++name_len) {
    const ix::field_view f[] = {{"k", std::int64_t{1}}, {"s", std::string_view(text).substr(0, 3)}};
    ix::record_view r;
    r.source = "product";
    r.name = std::string_view(text).substr(0, name_len);
    r.val = 2.5;
    r.fields = f;
    std::string expected;
    ix::codec::encode(r, expected);
    REQUIRE(p::encoded_size(r) == expected.size());
    REQUIRE(p::detail::size_bound(r) >= expected.size());
    if (expected.size() <= slot && p::detail::size_bound(r) > slot) ++fits_past_bound;
    p::event_queue<slot> q(2);
    INFO("payload of " << expected.size() << " bytes in a slot of " << slot);
    if (expected.size() <= slot) {
      REQUIRE(p::publish_record(q, r) == p::push_result::pushed);
      CHECK(q.drain([&](p::event_slot<slot>& s) { CHECK(s.payload() == expected); }) == 1);
    } else {
      CHECK(p::publish_record(q, r) == p::push_result::dropped);
      CHECK(q.drops().get(p::drop_cause::oversize) == 1);
      CHECK(q.pushed() == 0);
    }
  }
  CHECK(fits_past_bound > 0);  // the exact sizing path was taken for records that fit
}

TEST_CASE("strings of every length up to a few lines are copied into the slot exactly",
          "[pipeline][event]") {
  // The slot encoder copies strings inline by size class (1-3, 4-7, 8-15, 16 and more, the
  // last piece overlapping): every length, at every offset in the slot, against codec::encode.
  std::string text;
  for (int i = 0; i < 220; ++i) text.push_back(static_cast<char>('a' + i % 26));
  p::event_queue<512> q(2);
  for (std::size_t n = 0; n <= 200; ++n) {
    for (std::size_t shift = 0; shift < 3; ++shift) {
      const ix::field_view f[] = {
          {std::string_view(text).substr(0, shift), std::string_view(text).substr(7, n)}};
      ix::record_view r;
      r.name = std::string_view(text).substr(3, n);
      r.fields = f;
      std::string expected;
      ix::codec::encode(r, expected);
      REQUIRE(p::publish_record(q, r) == p::push_result::pushed);
      q.drain([&](p::event_slot<512>& s) { CHECK(s.payload() == expected); });
    }
  }
}

TEST_CASE("short strings copied in 16-byte chunks: same bytes, never a read past their page",
          "[pipeline][event]") {
  // The chunked encoder (publish_record and the rings, for records with room to spare) copies a
  // string of 1-16 bytes as one 16-byte load when those 16 bytes lie on the string's page. The
  // strings here end at the last byte before a page the process may not read (PROT_NONE): a
  // read past the page faults. Every length and every kind of value, against codec::encode.
  const long page = ::sysconf(_SC_PAGESIZE);
  REQUIRE(page >= 4096);
  void* m = ::mmap(nullptr, static_cast<std::size_t>(2 * page), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(m != MAP_FAILED);
  char* const base = static_cast<char*>(m);
  REQUIRE(::mprotect(base + page, static_cast<std::size_t>(page), PROT_NONE) == 0);
  char* const guard = base + page;  // the first byte that may not be read
  for (long i = 0; i < page; ++i) base[i] = static_cast<char>('A' + i % 23);
  p::event_queue<512> q(2);
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t back = 0; back < 3; ++back) {
      // n bytes ending `back` bytes before the guard page; an empty view points at the guard.
      const std::string_view s(guard - n - back, n);
      const std::string_view at_guard(guard, 0);
      const ix::field_view f[] = {{s, s},   {at_guard, at_guard}, {"i", std::int64_t{-300}},
                                  {s, 2.5}, {"b", true},          {"none", ix::value_view{}}};
      ix::record_view r;
      r.source = s;
      r.name = s;
      r.val = s;
      r.fields = f;
      std::string expected;
      ix::codec::encode(r, expected);
      REQUIRE(p::publish_record(q, r) == p::push_result::pushed);
      q.drain([&](p::event_slot<512>& sl) { CHECK(sl.payload() == expected); });
      // The same record through the chunked encoder with exactly the room it promises to use.
      std::vector<char> out(p::detail::size_bound(r) + p::detail::chunk_slack, '\x5a');
      char* const end = p::encode_into<true>(r, out.data());
      CHECK(std::string_view(out.data(), static_cast<std::size_t>(end - out.data())) == expected);
    }
  }
  ::munmap(m, static_cast<std::size_t>(2 * page));
}

TEST_CASE("value_view: three words, each accessor the zero of a type it does not hold",
          "[pipeline][event]") {
  STATIC_REQUIRE(sizeof(ix::value_view) == 24);
  STATIC_REQUIRE(sizeof(ix::field_view) == 40);
  constexpr ix::value_view i{std::int64_t{-7}}, d{2.5}, b{true}, str{"abc"}, none{};
  STATIC_REQUIRE(i.as_int() == -7 && i.as_real() == 0.0 && !i.as_bool() && i.as_string().empty());
  STATIC_REQUIRE(d.as_real() == 2.5 && d.as_int() == 0 && d.string_size() == 0);
  STATIC_REQUIRE(b.as_bool() && b.as_int() == 0 && b.as_number() == 1.0);
  STATIC_REQUIRE(str.as_string() == "abc" && str.string_size() == 3 && str.as_int() == 0);
  STATIC_REQUIRE(none.type() == ix::value_type::none && none.as_string().empty() &&
                 none.string_size() == 0 && none.as_number() == 0.0);
}

TEST_CASE("slots of a cache line or more are whole lines apart; smaller items stay packed",
          "[pipeline][queue]") {
  // The engine's slots (event_slot<384> plus the sequence word: 408 bytes) used to share a
  // line with their neighbour, which the producer wrote while the consumer read the other.
  using events = p::event_queue<384>;
  STATIC_REQUIRE(events::slot_stride() % 64 == 0);
  STATIC_REQUIRE(events::slot_stride() >= sizeof(p::event_slot<384>) + sizeof(std::size_t));
  STATIC_REQUIRE(events::slot_stride() < sizeof(p::event_slot<384>) + sizeof(std::size_t) + 64);
  STATIC_REQUIRE(p::bounded_queue<int>::slot_stride() <= 16);

  // In place, every item sits one word (its slot's sequence number) past the start of a line,
  // one stride after the last, through a whole lap and the next: the ring is line-aligned.
  events q(8);
  std::vector<std::uintptr_t> at;
  for (int i = 0; i < 12; ++i) {
    REQUIRE(q.push_with([&](p::event_slot<384>& s) noexcept { s.assign(1, i, "x"); }) ==
            p::push_result::pushed);
    q.drain([&](p::event_slot<384>& s) { at.push_back(reinterpret_cast<std::uintptr_t>(&s)); });
  }
  REQUIRE(at.size() == 12);
  for (std::size_t i = 0; i < at.size(); ++i) {
    CHECK((at[i] - sizeof(std::size_t)) % 64 == 0);
    if (i % 8 != 0) CHECK(at[i] - at[i - 1] == events::slot_stride());
  }
  CHECK(at[8] == at[0]);  // the second lap reuses the first slot
}

TEST_CASE("drop policy must be one of the policy types", "[pipeline][queue]") {
  STATIC_REQUIRE(p::is_drop_policy_v<p::drop_newest>);
  STATIC_REQUIRE(p::is_drop_policy_v<p::drop_oldest>);
  STATIC_REQUIRE_FALSE(p::is_drop_policy_v<int>);
}
