#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include "util.hpp"

namespace st = introspect::store;
using store_test::payload_for;

namespace {
std::vector<std::pair<st::offset_t, std::string>> read_all(st::cursor c) {
  std::vector<std::pair<st::offset_t, std::string>> out;
  st::frame_view r;
  while (c.next(r)) out.emplace_back(r.offset, std::string(r.text()));
  return out;
}
}  // namespace

TEST_CASE("records round trip with offsets, timestamps and kinds", "[store][writer][reader]") {
  store_test::temp_dir d;
  std::vector<st::offset_t> offs;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all");
    for (int i = 0; i < 1000; ++i) {
      auto off = w.append(s, 1000 + i, static_cast<std::uint8_t>(i % 7), payload_for(i, i % 150));
      REQUIRE(off);
      offs.push_back(*off);
    }
  }
  REQUIRE(std::is_sorted(offs.begin(), offs.end()));
  CHECK(offs[0] == 0);
  CHECK(offs[1] == 20);  // byte offsets: header + empty payload
  st::reader r(d.path());
  CHECK(r.scopes() == std::vector<std::string>{"node"});
  auto c = r.open("node", "all");
  st::frame_view rv;
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(c.next(rv));
    CHECK(rv.offset == offs[i]);
    CHECK(rv.ts_ns == 1000 + i);
    CHECK(rv.kind == i % 7);
    CHECK(rv.text() == payload_for(i, i % 150));
  }
  CHECK_FALSE(c.next(rv));
  CHECK(c.stats().skipped_ranges == 0);
}

TEST_CASE("segments roll by size and offsets continue across segments and reopen",
          "[store][writer][reader]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_bytes = 4096;
  o.index_interval = 512;
  st::offset_t end1 = 0;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", o);
    for (int i = 0; i < 500; ++i) REQUIRE(w.append(s, i, 1, payload_for(i)));
    end1 = w.end_offset(s);
    CHECK(w.stats().rolls > 10);
  }
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", o);
    CHECK(w.recovered().empty());
    CHECK(w.end_offset(s) == end1);
    for (int i = 500; i < 600; ++i) REQUIRE(w.append(s, i, 1, payload_for(i)));
  }
  auto logs = store_test::logs_of(d / "node/metric");
  CHECK(logs.size() > 10);
  st::reader r(d.path());
  auto all = read_all(r.open("node", "metric"));
  REQUIRE(all.size() == 600);
  for (int i = 0; i < 600; ++i) CHECK(all[i].second == payload_for(i));
  auto info = r.info("node", "metric");
  CHECK(info.records == 600);
  CHECK(info.first_ts == 0);
  CHECK(info.last_ts == 599);
  CHECK(info.segments == logs.size());

  SECTION("a cursor from an offset starts exactly there") {
    auto from = read_all(r.open("node", "metric", {all[321].first, {}}));
    REQUIRE(from.size() == 600 - 321);
    CHECK(from.front().second == payload_for(321));
  }
  SECTION("a cursor since a time yields only records at or after it") {
    auto since = read_all(r.open("node", "metric", {0, 450}));
    REQUIRE(since.size() == 150);
    CHECK(since.front().second == payload_for(450));
  }
}

TEST_CASE("segments roll by age of record timestamps", "[store][writer]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_age = std::chrono::seconds(10);
  st::writer w(d.path(), "node");
  auto s = w.stream("state", o);
  for (int i = 0; i < 100; ++i) w.append(s, std::int64_t{i} * 1'000'000'000, 1, payload_for(i));
  w.flush();
  CHECK(store_test::logs_of(d / "node/state").size() == 10);
}

TEST_CASE("a time seek uses the sparse index instead of scanning", "[store][reader][index]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_bytes = 64 << 10;
  o.index_interval = 1024;
  o.seal = st::seal_codec::none;  // one flipped byte = one frame (compressed: a block)
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    for (int i = 0; i < 5000; ++i) w.append(s, i, 1, payload_for(i));
  }
  // Damage an early segment: a time cursor past it must not even read it.
  auto logs = store_test::logs_of(d / "node/all");
  REQUIRE(logs.size() > 4);
  store_test::flip_byte(logs[0], 200);
  st::reader r(d.path());
  auto c = r.open("node", "all", {0, 4900});
  auto got = read_all(std::move(c));
  REQUIRE(got.size() == 100);
  CHECK(got.front().second == payload_for(4900));
  auto full = r.open("node", "all");
  st::frame_view rv;
  std::size_t n = 0;
  while (full.next(rv)) ++n;
  CHECK(full.stats().skipped_ranges == 1);
  CHECK(n == 4999);
}

TEST_CASE("non-monotonic timestamps still seek correctly", "[store][reader][index]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_bytes = 8 << 10;
  o.index_interval = 256;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    for (int i = 0; i < 1000; ++i) w.append(s, (i % 10 == 0) ? 5000 + i : i, 1, payload_for(i));
  }
  st::reader r(d.path());
  auto got = read_all(r.open("node", "all", {0, 5000}));
  CHECK(got.size() == 100);  // every tenth record jumped ahead in time
}
