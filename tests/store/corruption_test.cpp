#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "util.hpp"

namespace st = introspect::store;
using store_test::payload_for;

namespace {
void fill(const std::filesystem::path& root, int n, std::uint64_t seg = 8 << 10) {
  st::writer w(root, "node");
  st::stream_options o;
  o.segment_bytes = seg;
  o.seal = st::seal_codec::none;  // frame-level damage of the frame log (compressed: per block)
  auto s = w.stream("all", o);
  for (int i = 0; i < n; ++i) w.append(s, i, 1, payload_for(static_cast<std::uint64_t>(i)));
}
}  // namespace

TEST_CASE("a flipped byte is reported with path and offset; readers skip it and go on",
          "[store][corruption]") {
  store_test::temp_dir d;
  fill(d.path(), 300);
  auto logs = store_test::logs_of(d / "node/all");
  REQUIRE(logs.size() > 2);
  const std::uint64_t frame = 20 + 100;
  const std::uint64_t hit = 32 + frame * 5 + 40;  // inside the payload of the 6th record
  store_test::flip_byte(logs[1], hit);
  auto v = st::verify(d.path());
  CHECK_FALSE(v.clean());
  REQUIRE(v.damages.size() == 1);
  CHECK(v.damages[0].path == logs[1]);
  CHECK(v.damages[0].file_offset == 32 + frame * 5);
  CHECK(v.damages[0].bytes == frame);
  CHECK(v.damages[0].reason == "frame checksum mismatch");

  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) {
    CHECK(rv.text() == payload_for(static_cast<std::uint64_t>(rv.ts_ns)));
    ++n;
  }
  CHECK(n == 299);
  CHECK(c.stats().skipped_ranges == 1);
  CHECK(c.stats().skipped_bytes == frame);
  REQUIRE(c.stats().damages.size() == 1);
  CHECK(c.stats().damages[0].file_offset == 32 + frame * 5);

  SECTION("the writer reopens without refusing and keeps the damage in place") {
    st::writer w(d.path(), "node");
    auto s = w.stream("all");
    CHECK(w.append(s, 1000, 1, std::string_view("after")));
  }
}

TEST_CASE("a damaged length field and a damaged segment header do not stop readers",
          "[store][corruption]") {
  store_test::temp_dir d;
  fill(d.path(), 300);
  auto logs = store_test::logs_of(d / "node/all");
  store_test::flip_byte(logs[0], 32 + 120 * 3 + 2);  // length of the 4th frame: implausible
  store_test::flip_byte(logs[1], 3);                 // magic of the second segment
  auto v = st::verify(d.path());
  CHECK(v.damages.size() == 2);
  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) ++n;
  CHECK(n == 299);
  CHECK(c.stats().skipped_ranges == 2);
}

TEST_CASE("random garbage anywhere never crashes a reader", "[store][corruption]") {
  store_test::temp_dir d;
  fill(d.path(), 200, 4 << 10);
  std::mt19937_64 rng(42);
  for (auto& log : store_test::logs_of(d / "node/all")) {
    auto size = std::filesystem::file_size(log);
    for (int k = 0; k < 20; ++k) store_test::flip_byte(log, rng() % size);
  }
  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  while (c.next(rv)) CHECK(rv.text() == payload_for(static_cast<std::uint64_t>(rv.ts_ns)));
  CHECK(c.stats().skipped_ranges > 0);
  CHECK_FALSE(st::verify(d.path()).clean());
  (void)r.streams("node");
}

TEST_CASE("foreign files are reported and ignored", "[store][corruption]") {
  store_test::temp_dir d;
  fill(d.path(), 10);
  std::ofstream(d / "README.txt") << "hello";
  std::ofstream(d / "node/notes") << "x";
  std::ofstream(d / "node/all/segment-12.log") << "not ours";
  std::ofstream(d / "node/all/core.1234") << "dump";
  std::filesystem::create_directories(d / "stray-dir");
  st::reader r(d.path());
  auto f = r.foreign_files();
  CHECK(f.size() == 5);
  CHECK(r.scopes() == std::vector<std::string>{"node"});
  auto c = r.open("node", "all");
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) ++n;
  CHECK(n == 10);
  auto v = st::verify(d.path());
  CHECK(v.clean());
  CHECK(v.foreign.size() == 5);
  st::writer w(d.path(), "node");  // the writer opens too, and leaves them alone
  w.stream("all");
  CHECK(std::filesystem::exists(d / "node/all/core.1234"));
}
