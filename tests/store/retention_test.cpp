#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/retention.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "compaction_gate.hpp"
#include "util.hpp"

namespace st = introspect::store;
using store_test::payload_for;

namespace {
std::vector<std::int64_t> timestamps(const st::reader& r, const std::string& stream) {
  std::vector<std::int64_t> v;
  auto c = r.open("node", stream);
  st::frame_view rv;
  while (c.next(rv)) v.push_back(rv.ts_ns);
  return v;
}
}  // namespace

TEST_CASE("expired_prefix applies age, bytes and count limits to sealed segments only",
          "[store][retention]") {
  std::vector<st::detail::segment_summary> sealed(3);
  for (int i = 0; i < 3; ++i) {
    sealed[i].records = 10;
    sealed[i].file_size = 1000;
    sealed[i].min_ts = i * 100;
    sealed[i].max_ts = i * 100 + 99;
    sealed[i].end = static_cast<std::uint64_t>(i + 1) * 1000;
  }
  st::detail::segment_summary active;
  active.records = 10;
  active.file_size = 1000;
  st::stream_options o;
  st::truncation_point none;
  CHECK(st::detail::expired_prefix(sealed, active, o, 1000, none) == 0);
  o.keep_for = std::chrono::nanoseconds(750);
  CHECK(st::detail::expired_prefix(sealed, active, o, 1000, none) == 2);  // max_ts 99 and 199 < 250
  o = {};
  o.keep_bytes = 2000;
  CHECK(st::detail::expired_prefix(sealed, active, o, 0, none) == 2);
  o.keep_bytes = 2001;
  CHECK(st::detail::expired_prefix(sealed, active, o, 0, none) == 1);
  o = {};
  o.keep_count = 0;
  CHECK(st::detail::expired_prefix(sealed, active, o, 0, none) == 3);  // never the active one
  o = {};
  CHECK(st::detail::expired_prefix(sealed, active, o, 0, {2000, 0}) == 2);
}

TEST_CASE("retention is per stream and keeps metadata", "[store][retention]") {
  store_test::temp_dir d;
  st::stream_options small;
  small.segment_bytes = 1200;  // 10 records of 120 bytes per segment
  small.keep_count = 30;
  st::stream_options keep_all = small;
  keep_all.keep_count.reset();
  st::writer w(d.path(), "node");
  auto metric = w.stream("metric", small);
  auto state = w.stream("state", keep_all);
  w.put_meta("schema", std::string_view("v1 schema"));
  for (int i = 0; i < 100; ++i) {
    w.append(metric, i, 1, payload_for(static_cast<std::uint64_t>(i)));
    w.append(state, i, 2, payload_for(static_cast<std::uint64_t>(i)));
  }
  w.flush();
  w.apply_retention(1000);
  CHECK(w.stats().segments_removed > 0);
  st::reader r(d.path());
  auto m = timestamps(r, "metric");
  auto s = timestamps(r, "state");
  CHECK(s.size() == 100);
  CHECK(m.size() < 30 + 2 * 9);  // ≤ keep_count + one sealed segment + the active one
  CHECK(m.size() >= 30);
  CHECK(m.back() == 99);
  CHECK(r.get_meta("node", "schema").has_value());

  SECTION("by age") {
    st::stream_options aged = keep_all;
    aged.keep_for = std::chrono::nanoseconds(50);
    w.stream("state", aged);
    w.apply_retention(100);
    auto s2 = timestamps(r, "state");
    CHECK(s2.front() >= 40);
    CHECK(s2.front() <= 50);
  }
}

TEST_CASE("truncation is durable, honoured by readers, and keeps metadata", "[store][truncation]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_bytes = 1200;
  st::offset_t cut_off = 0;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    w.put_meta("identity", std::string_view("node-1"));
    std::vector<st::offset_t> offs;
    for (int i = 0; i < 100; ++i)
      offs.push_back(*w.append(s, i, 1, payload_for(static_cast<std::uint64_t>(i))));
    w.flush();
    w.truncate(s, 35);
    CHECK(w.stats().segments_removed == 3);
    cut_off = offs[60];
  }
  st::reader r(d.path());
  auto v = timestamps(r, "all");
  REQUIRE(!v.empty());
  CHECK(v.front() == 35);
  CHECK(v.size() == 65);
  {
    st::writer w(d.path(), "node");  // survives reopen
    auto s = w.stream("all", o);
    CHECK(w.truncation(s).ts_ns == 35);
    w.truncate_offset(s, cut_off);
    w.append(s, 10, 1, std::string_view("late record, older than the cut"));
    w.append(s, 100, 1, payload_for(100));
  }
  v = timestamps(r, "all");
  REQUIRE(v.size() == 41);
  CHECK(v.front() == 60);
  CHECK(v.back() == 100);
  auto info = r.info("node", "all");
  CHECK(info.records == 41);
  CHECK(info.first_ts == 60);
  CHECK(r.get_meta("node", "identity").has_value());
  CHECK(st::verify(d.path()).clean());
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    w.truncate(s, 1000);  // everything: segments go, offsets continue, metadata stays
    auto end = w.end_offset(s);
    CHECK(w.append(s, 2000, 1, std::string_view("new")) == end);
  }
  v = timestamps(r, "all");
  CHECK(v == std::vector<std::int64_t>{2000});
  CHECK(r.get_meta("node", "identity").has_value());
}

TEST_CASE("metadata blobs are atomic, checksummed and listed", "[store][meta]") {
  store_test::temp_dir d;
  st::writer w(d.path(), "node");
  w.put_meta("state-table", std::string_view("a=1"));
  w.put_meta("state-table", std::string_view("a=2"));
  auto got = w.get_meta("state-table");
  REQUIRE(got);
  CHECK(std::string(reinterpret_cast<const char*>(got->data()), got->size()) == "a=2");
  CHECK_FALSE(w.get_meta("missing"));
  st::reader r(d.path());
  CHECK(r.meta_names("node") == std::vector<std::string>{"state-table"});
  store_test::flip_byte(d / "node/.meta/state-table", 25);
  std::string why;
  CHECK_FALSE(r.get_meta("node", "state-table", &why));
  CHECK(why == "payload checksum mismatch");
  CHECK_FALSE(st::verify(d.path()).clean());
}

TEST_CASE("truncation and retention remove segments the compactor holds or has queued",
          "[store][retention][truncation][compactor]") {
  store_test::temp_dir d;
  store_test::compaction_gate gate;
  const auto dir = d / "node/metric";
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::columns;
  st::writer w(d.path(), "node");
  auto s = w.stream("metric", o);
  std::uint64_t i = 0;
  auto until_rolls = [&](std::uint64_t rolls) {
    while (w.stats().rolls < rolls) {
      REQUIRE(w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i)));
      ++i;
    }
  };
  gate.close();
  until_rolls(1);
  REQUIRE(gate.wait_held());  // segment 1 is being compacted (its rename comes next)
  until_rolls(4);             // segments 2-4 wait in the queue
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() == 5);
  // Hide everything before the active segment's first record: all four sealed ones go.
  const auto active_first = static_cast<std::int64_t>(i - 1);
  w.truncate(s, active_first);
  CHECK(w.stats().segments_removed == 4);
  gate.open();
  w.wait_compaction();
  auto c = w.compaction();
  CHECK(c.removed == 4);    // one removed again after its rename, three taken off the queue
  CHECK(c.compacted == 1);  // the one in progress, then removed
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK_FALSE(std::filesystem::exists(logs[k]));  // the rename did not bring it back
    auto idx = logs[k];
    CHECK_FALSE(std::filesystem::exists(idx.replace_extension(".idx")));
  }
  CHECK(store_test::tmp_files(dir) == 0);
  REQUIRE(w.flush());
  {
    st::reader r(d.path());
    auto v = timestamps(r, "metric");
    REQUIRE(!v.empty());
    CHECK(v.front() == active_first);
    CHECK(v.back() == static_cast<std::int64_t>(i - 1));
  }
  // Retention by count: the same with segments queued behind one in progress.
  gate.close();
  const auto rolls = w.stats().rolls;
  until_rolls(rolls + 1);
  REQUIRE(gate.wait_held());
  until_rolls(rolls + 3);
  o.keep_count = 1;  // keeps the active segment only (it holds at least one record)
  w.stream("metric", o);
  w.apply_retention(static_cast<std::int64_t>(i));
  CHECK(w.stats().segments_removed == 7);
  gate.open();
  w.wait_compaction();
  c = w.compaction();
  CHECK(c.removed == 7);
  CHECK(store_test::logs_of(dir).size() == 1);
  CHECK(store_test::tmp_files(dir) == 0);
  REQUIRE(w.flush());
  st::reader r(d.path());
  auto v = timestamps(r, "metric");
  REQUIRE(!v.empty());
  CHECK(v.back() == static_cast<std::int64_t>(i - 1));
  CHECK(r.info("node", "metric").records == v.size());
  CHECK(st::verify(d.path()).clean());
}
