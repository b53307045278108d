// Issue 11 item 4: a symlink planted in a store directory never makes the writer open, truncate
// or overwrite a file outside the store; modes follow the umask; instance names always work.
#include <catch2/catch.hpp>
#include <introspect/core/config.hpp>
#include <introspect/sink/jsonl_file.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include <sys/stat.h>
#include <fstream>

#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

const std::string victim_text = "precious data outside the store\n";

fs::path make_victim(const store_test::temp_dir& d) {
  auto v = d / "victim.txt";
  std::ofstream(v) << victim_text;
  return v;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

st::stream_options small() {
  st::stream_options o;
  o.segment_bytes = 10 * 120 + 32;
  return o;
}

void append_n(st::writer& w, st::stream_id s, int from, int n) {
  for (int i = from; i < from + n; ++i)
    REQUIRE(w.append(s, i, 1, store_test::payload_for(static_cast<std::uint64_t>(i))));
}

}  // namespace

TEST_CASE("a symlink planted as the lock file is refused, its target untouched",
          "[store][symlink]") {
  store_test::temp_dir d("sym-lock");
  auto victim = make_victim(d);
  auto root = d / "store";
  fs::create_directories(root / "node");
  ::chmod((root / "node").c_str(), 0750);
  fs::create_symlink(victim, root / "node" / ".lock");
  CHECK_THROWS_AS(st::writer(root, "node"), st::store_error);
  CHECK(slurp(victim) == victim_text);
}

TEST_CASE("a symlink planted at the next segment name is not written through", "[store][symlink]") {
  store_test::temp_dir d("sym-seg");
  auto victim = make_victim(d);
  auto root = d / "store";
  {
    st::writer w(root, "node");
    append_n(w, w.stream("all", small()), 0, 5);
  }
  auto dir = root / "node" / "all";
  // Where the segment after the active one will be created (10 records of 120 bytes each).
  fs::create_symlink(victim, dir / st::detail::segment_log_name(1200));
  {
    st::writer w(root, "node");
    append_n(w, w.stream("all", small()), 5, 20);
  }
  CHECK(slurp(victim) == victim_text);
  CHECK_FALSE(fs::is_symlink(dir / st::detail::segment_log_name(1200)));
  auto c = st::reader(root).open("node", "all");
  st::frame_view v;
  int n = 0;
  while (c.next(v)) ++n;
  CHECK(n == 25);
}

TEST_CASE("a symlink planted as a segment already listed is foreign, never opened for writing",
          "[store][symlink]") {
  store_test::temp_dir d("sym-last");
  auto victim = make_victim(d);
  auto root = d / "store";
  {
    st::writer w(root, "node");
    append_n(w, w.stream("all", small()), 0, 15);
  }
  auto dir = root / "node" / "all";
  auto last = dir / st::detail::segment_log_name(1200);
  fs::remove(last);
  fs::create_symlink(victim, last);
  {
    st::writer w(root, "node");
    append_n(w, w.stream("all", small()), 15, 3);
  }
  CHECK(slurp(victim) == victim_text);
}

TEST_CASE("a symlink planted at a temporary file name is removed, not written through",
          "[store][symlink]") {
  store_test::temp_dir d("sym-tmp");
  auto victim = make_victim(d);
  auto root = d / "store";
  st::writer w(root, "node");
  auto s = w.stream("all", small());
  append_n(w, s, 0, 5);
  auto dir = root / "node" / "all";
  fs::create_symlink(victim, dir / ".truncation.tmp");
  fs::create_symlink(victim, dir / ".truncation.copy.tmp");
  fs::create_symlink(victim, dir / (st::detail::segment_idx_name(0) + ".tmp"));
  w.truncate(s, 2);       // writes both truncation files
  append_n(w, s, 5, 10);  // rolls: writes an index
  CHECK(slurp(victim) == victim_text);
  CHECK(st::reader(root).info("node", "all").truncation.ts_ns == 2);
}

TEST_CASE("a store directory replaced by a symlink is refused with its path", "[store][symlink]") {
  store_test::temp_dir d("sym-dir");
  auto root = d / "store";
  { st::writer w(root, "node"); }
  fs::create_directories(d / "elsewhere");
  fs::create_directory_symlink(d / "elsewhere", root / "node" / "all");
  st::writer w(root, "node");
  try {
    w.stream("all");
    FAIL("a symlinked stream directory was accepted");
  } catch (const st::store_error& e) {
    CHECK(std::string(e.what()).find((root / "node" / "all").string()) != std::string::npos);
  }
  CHECK(fs::is_empty(d / "elsewhere"));
}

TEST_CASE("a symlink planted at the tiny tier's next file name is not written through",
          "[store][symlink][tiny]") {
  store_test::temp_dir d("sym-tiny");
  auto victim = make_victim(d);
  auto dir = d / "tiny";
  introspect::jsonl_file_writer f(dir, "node", 4096, 4);
  auto pre = [](std::string& s) { s += "{\"preamble\":1}\n"; };
  REQUIRE(f.write("{\"a\":1}\n", pre) == 0);
  fs::create_symlink(victim, dir / "node-00000002.jsonl");
  std::string big(5000, 'x');
  (void)f.write("{\"b\":\"" + big + "\"}\n", pre);  // rotates onto the planted name: refused
  (void)f.write("{\"c\":1}\n", pre);                // the next rotation goes past it
  CHECK(slurp(victim) == victim_text);
  struct stat sb {};
  REQUIRE(::stat(dir.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777 & ~0750) == 0);  // 0750, never world-readable
}

TEST_CASE("store files and directories follow a stricter umask", "[store][mode]") {
  store_test::temp_dir d("umask");
  auto root = d / "store";
  auto old = ::umask(077);
  {
    st::writer w(root, "node");
    append_n(w, w.stream("all", small()), 0, 15);
  }
  ::umask(old);
  for (auto& e : fs::recursive_directory_iterator(root)) {
    struct stat sb {};
    REQUIRE(::lstat(e.path().c_str(), &sb) == 0);
    INFO(e.path());
    CHECK((sb.st_mode & 077) == 0);
  }
}

TEST_CASE("every instance name becomes a usable scope name", "[store][names]") {
  const std::vector<std::string> names = {"nœud-1 ü/../x",       "..",      ".",     "",
                                          "../etc/passwd",       ".hidden", "a..b",  "x.tmp",
                                          std::string(300, '.'), "___",     "node-1"};
  for (const auto& n : names) {
    auto s = introspect::detail::sanitize_instance(n);
    INFO(n << " -> " << s);
    CHECK(st::name_problem(s).empty());
  }
  CHECK(introspect::detail::sanitize_instance("node-1") == "node-1");
  // Names that differ stay apart where they can.
  CHECK(introspect::detail::sanitize_instance("a.b") !=
        introspect::detail::sanitize_instance("a_b.c"));
}
