#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "util.hpp"

namespace st = introspect::store;
using store_test::payload_for;

TEST_CASE("reopen cuts a torn tail and reports path, bytes and frames", "[store][recovery]") {
  store_test::temp_dir d;
  st::offset_t end = 0;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all");
    for (int i = 0; i < 10; ++i) w.append(s, i, 1, payload_for(i));
    end = w.end_offset(s);
  }
  auto log = store_test::logs_of(d / "node/all").at(0);
  auto good = std::filesystem::file_size(log);
  {
    // Half a frame, as a kill during write(2) leaves it.
    std::ofstream f(log, std::ios::app | std::ios::binary);
    std::string partial(60, '\0');
    partial[0] = 100;  // length 100, crc and the rest missing
    f << partial;
  }
  auto v = st::verify(d.path());
  CHECK(v.clean());
  CHECK(v.torn_tails.size() == 1);
  st::writer w(d.path(), "node");
  auto s = w.stream("all");
  REQUIRE(w.recovered().size() == 1);
  CHECK(w.recovered()[0].path == log);
  CHECK(w.recovered()[0].discarded_bytes == 60);
  CHECK(w.recovered()[0].file_offset == good);
  CHECK(w.recovered()[0].discarded_frames == 1);
  CHECK(std::filesystem::file_size(log) == good);
  CHECK(w.end_offset(s) == end);
  REQUIRE(w.append(s, 11, 1, payload_for(11)) == end);
  w.flush();
  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) ++n;
  CHECK(n == 11);
  CHECK(c.stats().skipped_ranges == 0);
}

TEST_CASE("a sealed segment whose index is missing or stale is rescanned", "[store][recovery]") {
  store_test::temp_dir d;
  st::stream_options o;
  o.segment_bytes = 2048;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    for (int i = 0; i < 100; ++i) w.append(s, i, 1, payload_for(i));
  }
  auto dir = d / "node/all";
  std::filesystem::remove(dir / st::detail::segment_idx_name(0));
  std::ofstream(dir / "segment-00000000000000000000.idx.tmp") << "leftover";
  st::writer w(d.path(), "node");
  auto s = w.stream("all", o);
  CHECK(w.damages().empty());
  CHECK(std::filesystem::exists(dir / st::detail::segment_idx_name(0)));
  CHECK_FALSE(std::filesystem::exists(dir / "segment-00000000000000000000.idx.tmp"));
  st::reader r(d.path());
  CHECK(r.info("node", "all").records == 100);
  (void)s;
}

TEST_CASE("a segment created but never written (crash while rolling) is rewritten",
          "[store][recovery]") {
  store_test::temp_dir d;
  st::offset_t end = 0;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all");
    for (int i = 0; i < 5; ++i) w.append(s, i, 1, payload_for(i));
    end = w.end_offset(s);
  }
  auto dir = d / "node/all";
  std::ofstream(dir / st::detail::segment_log_name(end), std::ios::binary) << "IXS";  // torn header
  st::writer w(d.path(), "node");
  auto s = w.stream("all");
  CHECK(w.end_offset(s) == end);
  CHECK(w.append(s, 9, 1, payload_for(9)) == end);
  w.flush();
  CHECK(st::verify(d.path()).clean());
}

TEST_CASE("a compressed last segment is sealed: reopen continues in a new one, nothing lost",
          "[store][recovery]") {
  // The active segment lost after a seal, or an offline compaction of the last file: appending
  // raw frames into the compressed file overwrote its blocks (found by fuzz_segment), so the
  // new records and the old ones were both unreadable.
  store_test::temp_dir d;
  st::stream_options o;
  o.seal = st::seal_codec::none;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    for (int i = 0; i < 50; ++i) w.append(s, i, 1, payload_for(i));
  }
  auto logs = store_test::logs_of(d / "node/all");
  REQUIRE(logs.size() == 1);
  REQUIRE(st::compact_segment(logs[0], 0, {.codec = st::seal_codec::columns}).compacted);
  const auto compressed_size = std::filesystem::file_size(logs[0]);
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all", o);
    REQUIRE(w.append(s, 50, 1, payload_for(50)).has_value());
  }
  CHECK(std::filesystem::file_size(logs[0]) == compressed_size);  // untouched
  CHECK(store_test::logs_of(d / "node/all").size() == 2);
  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) {
    CHECK(rv.ts_ns == n);
    CHECK(rv.text() == payload_for(n));
    ++n;
  }
  CHECK(n == 51);
  CHECK(c.stats().skipped_ranges == 0);
  CHECK(st::verify(d.path()).clean());
}
