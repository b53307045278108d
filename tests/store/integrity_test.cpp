// Regression tests for issue 12: each way a fault used to become silent loss, one test case.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <fstream>

#include "fault.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;
using store_test::fault_scope;
using store_test::plan;

namespace {

constexpr int per_segment = 20;  // 20 records of 100 bytes + 20-byte frame headers

st::stream_options small_segments() {
  st::stream_options o;
  o.segment_bytes = per_segment * 120 + 32;
  return o;
}

// Writes `n` records (ts = i) into node/all and closes the writer.
void write_records(const fs::path& root, int from, int n, st::stream_options o = small_segments()) {
  st::writer w(root, "node");
  auto s = w.stream("all", o);
  for (int i = from; i < from + n; ++i) REQUIRE(w.append(s, i, 1, store_test::payload_for(i)));
}

struct read_all {
  std::vector<std::int64_t> ts;
  st::read_stats stats;
};
read_all read_stream(const fs::path& root, const std::string& scope = "node") {
  read_all r;
  auto c = st::reader(root).open(scope, "all");
  st::frame_view v;
  while (c.next(v)) {
    CHECK(v.text() == store_test::payload_for(static_cast<std::uint64_t>(v.ts_ns)));
    r.ts.push_back(v.ts_ns);
  }
  r.stats = c.stats();
  return r;
}

bool has_reason(const st::verify_report& v, const std::string& part) {
  return std::any_of(v.damages.begin(), v.damages.end(),
                     [&](auto& d) { return d.reason.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("a sealed segment that cannot be read is kept and reported, never removed",
          "[store][integrity]") {
  store_test::temp_dir d("integ1");
  auto root = d.path();
  write_records(root, 0, 100);
  auto dir = root / "node" / "all";
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() >= 4);
  fs::remove(fs::path(logs[0]).replace_extension(".idx"));  // forces a scan at open
  auto victim_size = fs::file_size(logs[0]);
  {
    fault_scope f;
    plan().path_part = logs[0].filename().string();
    plan().path_op = static_cast<int>(store_test::sys::op::open);
    plan().path_errno = EACCES;
    auto o = small_segments();
    o.keep_bytes = 1;  // retention wants every sealed segment gone
    st::writer w(root, "node");
    auto s = w.stream("all", o);
    REQUIRE(w.read_errors().size() == 1);
    CHECK(w.read_errors()[0].path == logs[0]);
    CHECK(w.read_errors()[0].err == EACCES);
    w.apply_retention(1000);
    (void)s;
  }
  // Unreadable: it and everything after it stay (retention removes a prefix only).
  REQUIRE(fs::exists(logs[0]));
  CHECK(fs::file_size(logs[0]) == victim_size);
  CHECK(read_stream(root).ts.size() == 100);
}

TEST_CASE("one unreadable segment does not hide the rest of its stream", "[store][integrity]") {
  store_test::temp_dir d("integ2");
  auto root = d.path();
  write_records(root, 0, 100);
  auto logs = store_test::logs_of(root / "node" / "all");
  REQUIRE(logs.size() >= 4);
  fault_scope f;
  plan().path_part = logs[1].filename().string();
  plan().path_op = static_cast<int>(store_test::sys::op::open);
  plan().path_errno = EIO;
  auto r = read_stream(root);
  CHECK(r.ts.size() == 100 - per_segment);  // only the unreadable segment's records are missing
  CHECK(r.ts.back() == 99);
  REQUIRE(r.stats.errors.size() == 1);
  CHECK(r.stats.errors[0].path == logs[1]);
  CHECK(r.stats.errors[0].err == EIO);
  CHECK(r.stats.errors[0].message().find("Input/output error") != std::string::npos);
  auto info = st::reader(root).info("node", "all");
  CHECK(info.records == 100 - per_segment);
  CHECK(info.errors.size() == 1);
  auto v = st::verify(root);
  CHECK_FALSE(v.clean());
  REQUIRE(v.errors.size() == 1);
  CHECK(v.errors[0].path == logs[1]);
}

TEST_CASE("verify sees a sealed segment cut at a frame boundary, also after the writer reopens",
          "[store][integrity]") {
  store_test::temp_dir d("integ3a");
  auto root = d.path();
  write_records(root, 0, 100);
  auto logs = store_test::logs_of(root / "node" / "all");
  fs::resize_file(logs[1], fs::file_size(logs[1]) - 120);  // exactly one frame
  auto v = st::verify(root);
  CHECK_FALSE(v.clean());
  CHECK(has_reason(v, "its index says"));
  CHECK(has_reason(v, "records missing between offsets"));
  write_records(root, 100, 5);  // a writer reopens: the evidence must survive
  auto v2 = st::verify(root);
  CHECK(has_reason(v2, "its index says"));
  CHECK(has_reason(v2, "records missing between offsets"));
}

TEST_CASE("verify sees a missing middle segment", "[store][integrity]") {
  store_test::temp_dir d("integ3b");
  auto root = d.path();
  write_records(root, 0, 100);
  auto logs = store_test::logs_of(root / "node" / "all");
  fs::remove(logs[2]);
  fs::remove(fs::path(logs[2]).replace_extension(".idx"));
  CHECK(has_reason(st::verify(root), "records missing between offsets"));
}

TEST_CASE("verify fails on a stream directory it cannot list", "[store][integrity]") {
  store_test::temp_dir d("integ3c");
  auto root = d.path();
  write_records(root, 0, 10);
  fault_scope f;
  plan().path_part = "node/all";
  plan().path_op = static_cast<int>(store_test::sys::op::readdir);
  plan().path_errno = EACCES;
  auto v = st::verify(root);
  CHECK_FALSE(v.clean());
  REQUIRE_FALSE(v.errors.empty());
  CHECK(v.errors[0].path == root / "node" / "all");
  CHECK(v.errors[0].action == "list");
  CHECK_FALSE(st::reader(root).listing_errors().empty());
}

TEST_CASE("a lost scope marker is damage, and the scope's records stay readable",
          "[store][integrity]") {
  store_test::temp_dir d("integ3d");
  auto root = d.path();
  write_records(root, 0, 10);
  { st::writer w(root, "other"); }
  fs::remove(root / "node" / ".scope");
  auto v = st::verify(root);
  CHECK(has_reason(v, "scope marker missing"));
  CHECK(read_stream(root).ts.size() == 10);
}

TEST_CASE("an emptied or deleted active segment is reported", "[store][integrity]") {
  store_test::temp_dir d("integ3e");
  auto root = d.path();
  write_records(root, 0, 50);
  auto logs = store_test::logs_of(root / "node" / "all");
  SECTION("emptied") {
    fs::resize_file(logs.back(), 0);
    CHECK(has_reason(st::verify(root), "active segment shorter"));
    st::writer w(root, "node");
    w.stream("all", small_segments());
    CHECK(std::any_of(w.damages().begin(), w.damages().end(), [](auto& x) {
      return x.reason.find("active segment shorter") != std::string::npos;
    }));
  }
  SECTION("deleted") {
    fs::remove(logs.back());
    CHECK(has_reason(st::verify(root), "active segment missing"));
    write_records(root, 50, 5);
    // The writer continues past the lost records: the gap stays visible.
    CHECK(has_reason(st::verify(root), "records missing between offsets"));
  }
}

TEST_CASE("a damaged or missing truncation file never brings truncated records back",
          "[store][integrity]") {
  store_test::temp_dir d("integ4");
  auto root = d.path();
  write_records(root, 0, 100);
  {
    st::writer w(root, "node");
    w.truncate(w.stream("all", small_segments()), 50);
  }
  auto dir = root / "node" / "all";
  auto visible = [&] {
    auto r = read_stream(root);
    for (auto t : r.ts) CHECK(t >= 50);
    return r;
  };
  CHECK(visible().ts.size() == 50);
  SECTION("one copy damaged: the other holds the point") {
    store_test::flip_byte(dir / ".truncation", 30);
    CHECK(visible().ts.size() == 50);
    CHECK(has_reason(st::verify(root), "truncation"));
  }
  SECTION("one copy missing") {
    fs::remove(dir / ".truncation");
    CHECK(visible().ts.size() == 50);
    CHECK(has_reason(st::verify(root), "missing while its copy exists"));
  }
  SECTION("both damaged: the stream is refused with a clear error") {
    store_test::flip_byte(dir / ".truncation", 30);
    store_test::flip_byte(dir / ".truncation.copy", 30);
    auto r = visible();
    CHECK(r.ts.empty());
    REQUIRE(r.stats.errors.size() == 1);
    CHECK(r.stats.errors[0].path == dir / ".truncation");
    CHECK(has_reason(st::verify(root), "truncation point lost"));
    // A writer reopening keeps appending and removes nothing it cannot prove hidden.
    auto before = store_test::logs_of(dir);
    write_records(root, 100, 5);
    auto after = store_test::logs_of(dir);
    CHECK(std::includes(after.begin(), after.end(), before.begin(), before.end()));
  }
}

TEST_CASE("crafted segments cost linear work to resynchronise", "[store][integrity]") {
  store_test::temp_dir d("integ6");
  auto root = d.path();
  write_records(root, 0, 1);
  auto logs = store_test::logs_of(root / "node" / "all");
  // A plausible header every 20 bytes, each claiming a payload that reaches near the end.
  const std::uint64_t size = 1 << 20;
  std::vector<char> bytes(size, 0);
  {
    std::ifstream in(logs[0], std::ios::binary);
    in.read(bytes.data(), 32);
  }
  for (std::uint64_t p = 32; p + 20 <= size; p += 20) {
    std::uint32_t len = static_cast<std::uint32_t>(size - p - 40);
    std::memcpy(bytes.data() + p, &len, 4);
    std::memset(bytes.data() + p + 4, 0x11, 16);
    bytes[p + 18] = bytes[p + 19] = 0;  // reserved: zero, so plausible
  }
  {
    std::ofstream out(logs[0], std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(size));
  }
  introspect::store::detail::segment_scanner sc;
  REQUIRE(sc.open(logs[0], 0));
  introspect::store::detail::scanned_frame f;
  st::damage dm;
  while (sc.next(f, dm) != introspect::store::detail::segment_scanner::step::end) {
  }
  // The documented bound: two largest frames plus 64 bytes per byte of the file.
  CHECK(sc.checked_bytes() <= 2 * (20 + (16u << 20)) + 64 * size);
  CHECK_FALSE(st::verify(root).torn_tails.empty());  // the last segment: a tail to cut
}

TEST_CASE("reopening a writer does not roll a new segment at once", "[store][integrity]") {
  store_test::temp_dir d("integ7a");
  auto root = d.path();
  st::stream_options o;
  o.segment_age = std::chrono::nanoseconds(1000);
  auto open_and_append = [&](std::int64_t ts) {
    st::writer w(root, "node");
    auto s = w.stream("all", o);
    REQUIRE(w.append(s, ts, 1, store_test::payload_for(static_cast<std::uint64_t>(ts))));
    return w.stats().rolls;
  };
  CHECK(open_and_append(1'000'000) == 0);
  CHECK(open_and_append(1'000'100) == 0);  // 100 ns after the segment's first record: no roll
  CHECK(open_and_append(1'001'100) == 1);
}

TEST_CASE("names ending in .tmp are refused: they would be removed as leftovers",
          "[store][integrity]") {
  CHECK_FALSE(st::name_problem("state.tmp").empty());
  store_test::temp_dir d("integ7b");
  st::writer w(d.path(), "node");
  CHECK_THROWS_AS(w.put_meta("state.tmp", std::string_view("x")), st::name_error);
  CHECK_THROWS_AS(w.stream("s.tmp"), st::name_error);
}
