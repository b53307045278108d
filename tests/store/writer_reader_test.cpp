#include <catch2/catch.hpp>
#include <introspect/store/compactor.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "compaction_gate.hpp"
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

// ---- Compaction on the compactor's thread (issue 18): the writer never waits for it.

namespace {
// Appends counter samples (ts = sequence number) until the writer has sealed `rolls` segments.
void append_until_rolls(st::writer& w, st::stream_id s, std::uint64_t& i, std::uint64_t rolls) {
  while (w.stats().rolls < rolls) {
    REQUIRE(w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i)));
    ++i;
  }
}

// The "metric" stream of scope "node" written raw (seal none) until `rolls` segments were
// sealed, the writer closed; its segment files, oldest first (the last is the active one).
std::vector<st::detail::segment_file> raw_segments(const store_test::temp_dir& d,
                                                   std::uint64_t rolls, std::uint64_t& i) {
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::none;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", o);
    append_until_rolls(w, s, i, rolls);
  }
  return st::detail::list_segments(d / "node/metric");
}
}  // namespace

TEST_CASE(
    "sealed segments are compacted on a thread of their own; a writer that never compacts "
    "starts none",
    "[store][writer][compactor]") {
  store_test::temp_dir d;
  const int threads_before = store_test::thread_count();
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::none;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("raw", o);
    std::uint64_t i = 0;
    append_until_rolls(w, s, i, 3);
    CHECK_FALSE(w.compacting());
    CHECK(store_test::thread_count() == threads_before);
    CHECK(w.compaction().queued == 0);
  }
  store_test::compaction_gate gate;
  gate.close();
  o.seal = st::seal_codec::columns;
  st::writer w(d.path(), "node");
  auto s = w.stream("metric", o);
  std::uint64_t i = 0;
  append_until_rolls(w, s, i, 1);
  REQUIRE(gate.wait_held());  // the compactor is on the first sealed segment...
  CHECK(w.compacting());
  CHECK(store_test::thread_count() > threads_before);  // (TSan adds one of its own)
  append_until_rolls(w, s, i, 6);  // ...and the writer seals five more meanwhile
  CHECK(w.stats().compacted == 0);
  CHECK(w.compaction().queued == 6);
  gate.open();
  w.wait_compaction();
  const auto c = w.compaction();
  CHECK(c.compacted == 6);
  CHECK(w.stats().compacted == 6);
  CHECK(c.failed == 0);
  CHECK(c.left_raw == 0);
  REQUIRE(w.flush());
  const auto logs = store_test::logs_of(d / "node/metric");
  REQUIRE(logs.size() == 7);
  for (std::size_t k = 0; k + 1 < logs.size(); ++k) CHECK(store_test::is_compressed_file(logs[k]));
  CHECK_FALSE(store_test::is_compressed_file(logs.back()));
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
}

TEST_CASE(
    "a full compaction queue leaves sealed segments to the compactor's rescan: counted, "
    "readable meanwhile, all compacted eventually",
    "[store][writer][compactor]") {
  store_test::temp_dir d;
  store_test::compaction_gate gate;
  gate.close();
  st::writer_options wo;
  wo.compaction_queue = 1;
  st::writer w(d.path(), "node", wo);
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::columns;
  auto s = w.stream("metric", o);
  std::uint64_t i = 0;
  append_until_rolls(w, s, i, 1);
  REQUIRE(gate.wait_held());       // segment 1 in progress
  append_until_rolls(w, s, i, 5);  // segment 2 waits; 3, 4 and 5 find the queue full
  auto c = w.compaction();
  CHECK(c.queued == 2);
  CHECK(c.queue_full == 3);
  REQUIRE(w.flush());
  CHECK(store_test::reads_back(d.path(), "metric", i));  // raw meanwhile, and readable
  gate.open();
  w.wait_compaction();
  c = w.compaction();
  CHECK(c.compacted == 5);  // the two queued, then the three a rescan of the stream found
  CHECK(c.rescanned == 3);
  CHECK(c.left_raw == 0);
  const auto logs = store_test::logs_of(d / "node/metric");
  REQUIRE(logs.size() == 6);
  for (std::size_t k = 0; k < logs.size(); ++k)
    CHECK(store_test::is_compressed_file(logs[k]) == (k < 5));  // the active one stays raw
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
}

TEST_CASE("a full disk while compacting keeps the raw segment: counted, never thrown",
          "[store][writer][compactor][enospc]") {
  store_test::temp_dir d;
  store_test::compaction_gate gate;
  gate.fail_with(ENOSPC);
  st::writer w(d.path(), "node");
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::columns;
  auto s = w.stream("metric", o);
  std::uint64_t i = 0;
  append_until_rolls(w, s, i, 3);
  w.wait_compaction();
  auto c = w.compaction();
  CHECK(c.failed == 3);
  CHECK(c.compacted == 0);
  CHECK(c.last_error.find("No space left") != std::string::npos);
  CHECK(c.last_error.find(".log") != std::string::npos);  // names the segment
  CHECK(w.stats().dropped_records == 0);                  // nothing appended is lost
  CHECK(store_test::tmp_files(d / "node/metric") == 0);
  for (auto& l : store_test::logs_of(d / "node/metric"))
    CHECK_FALSE(store_test::is_compressed_file(l));
  REQUIRE(w.flush());
  CHECK(store_test::reads_back(d.path(), "metric", i));
  // Space returns: the next sealed segments are compacted again.
  gate.fail_with(0);
  append_until_rolls(w, s, i, 5);
  w.wait_compaction();
  CHECK(w.compaction().compacted == 2);
  REQUIRE(w.flush());
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
}

TEST_CASE("a segment handed over twice is compacted, or counted as failed, once",
          "[store][compactor]") {
  // A hand-over that finds the compactor's lock taken makes its thread rescan the directory; the
  // rescan may compact the segment before the hand-over itself is taken. Each path is attempted
  // once: a late duplicate of a segment being compacted, or given up, is ignored.
  store_test::temp_dir d;
  std::uint64_t i = 0;
  const auto segs = raw_segments(d, 2, i);
  REQUIRE(segs.size() == 3);
  st::compaction_options co;
  co.codec = st::seal_codec::columns;
  store_test::compaction_gate gate;
  st::compactor c;
  SECTION("while it is being compacted") {
    gate.close();
    // (A hand-over that finds the thread holding its lock is kept pending and returns false;
    // wait_idle() takes it: the counts below hold either way.)
    c.submit(segs[0].log, segs[0].first, co);
    REQUIRE(gate.wait_held());
    c.submit(segs[0].log, segs[0].first, co);  // the late duplicate
    c.submit(segs[1].log, segs[1].first, co);
    gate.open();
    c.wait_idle();
    const auto st = c.stats();
    CHECK(st.queued == 2);
    CHECK(st.compacted == 2);
    CHECK(gate.passed() == 2);
  }
  SECTION("after it failed") {
    gate.fail_with(ENOSPC);
    c.submit(segs[0].log, segs[0].first, co);
    c.wait_idle();
    c.submit(segs[0].log, segs[0].first, co);
    c.wait_idle();
    const auto st = c.stats();
    CHECK(st.failed == 1);
    CHECK(st.compacted == 0);
    CHECK_FALSE(store_test::is_compressed_file(segs[0].log));
  }
  c.stop();
  CHECK(store_test::reads_back(d.path(), "metric", i));
}

TEST_CASE("a rescan compacts only segments the writer sealed, not every one but the last listed",
          "[store][compactor]") {
  // A roll whose new segment fails after its file was created (a full disk at its header's
  // sync) leaves the old active segment listed as not last for a moment, and the writer goes on
  // appending to it: compacting it then would lose those appends (found by
  // store_fault_injection_test under load). The writer's mark, not the listing, decides.
  store_test::temp_dir d;
  std::uint64_t i = 0;
  const auto segs = raw_segments(d, 3, i);
  REQUIRE(segs.size() == 4);
  st::compactor c;
  // As if segs[1] were the writer's active segment and segs[2..3] a failed roll's leftovers.
  c.watch(d / "node/metric", {.codec = st::seal_codec::columns}, segs[1].first);
  c.wait_idle();
  CHECK(c.stats().compacted == 1);
  CHECK(store_test::is_compressed_file(segs[0].log));
  for (std::size_t k = 1; k < segs.size(); ++k)
    CHECK_FALSE(store_test::is_compressed_file(segs[k].log));
  // A hand-over of segs[2] says it and every segment before it are sealed: segs[1] and segs[2]
  // are compacted then, the last one never.
  c.submit(segs[2].log, segs[2].first, {.codec = st::seal_codec::columns});
  c.wait_idle();
  c.watch(d / "node/metric", {.codec = st::seal_codec::columns}, 0);
  c.wait_idle();
  CHECK(c.stats().compacted == 3);
  CHECK_FALSE(store_test::is_compressed_file(segs[3].log));
  c.stop();
  CHECK(store_test::reads_back(d.path(), "metric", i));
}

TEST_CASE("destroying a writer finishes the segment being compacted and leaves the queued raw",
          "[store][writer][compactor]") {
  store_test::temp_dir d;
  std::uint64_t i = 0;
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::columns;
  {
    store_test::compaction_gate gate;
    gate.close();
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", o);
    append_until_rolls(w, s, i, 1);
    REQUIRE(gate.wait_held());
    append_until_rolls(w, s, i, 4);
    gate.open();  // the destructor stops the compactor: one in progress, three queued
  }
  const auto logs = store_test::logs_of(d / "node/metric");
  REQUIRE(logs.size() == 5);
  CHECK(store_test::is_compressed_file(logs[0]));  // finished, not abandoned
  CHECK(store_test::tmp_files(d / "node/metric") == 0);
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
  // The store reopens over raw and compressed sealed segments alike and goes on.
  st::writer w(d.path(), "node");
  auto s = w.stream("metric", o);
  CHECK(w.damages().empty());
  CHECK(w.recovered().empty());
  REQUIRE(w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i)));
  ++i;
  REQUIRE(w.flush());
  CHECK(store_test::reads_back(d.path(), "metric", i));
}
