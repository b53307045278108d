// `introspect compact` as a support engineer runs it on a store they were sent (a child
// process on real files): sealed raw segments are compressed, the records read back the same,
// a live writer's scope is refused naming its pid, bad STOREs name path and cause.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fstream>

#include "compaction_gate.hpp"
#include "cli_run.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

using store_test::cli_result;
using store_test::run_cli;
using store_test::slurp_file;

// A store as an older writer leaves it: `rolls` sealed raw segments and the active one.
std::uint64_t make_raw_store(const fs::path& root, std::uint64_t rolls) {
  st::writer w(root, "node");
  st::stream_options o;
  o.segment_bytes = 16 << 10;
  o.seal = st::seal_codec::none;
  auto s = w.stream("metric", o);
  std::uint64_t i = 0, last = 0;
  for (; w.stats().rolls < rolls || i < last + 150; ++i) {  // 150 in the active one
    if (w.stats().rolls < rolls) last = i + 1;
    REQUIRE(w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i)));
  }
  return i;
}


std::vector<bool> compressed(const fs::path& dir) {
  std::vector<bool> v;
  for (auto& l : store_test::logs_of(dir)) v.push_back(store_test::is_compressed_file(l));
  return v;
}

}  // namespace

TEST_CASE("introspect compact compresses a store's sealed raw segments, once", "[store][cli]") {
  store_test::temp_dir d;
  const auto root = d / "store";
  const auto n = make_raw_store(root, 4);
  const auto dir = root / "node/metric";
  REQUIRE(compressed(dir) == std::vector<bool>(5, false));
  std::uint64_t raw = 0;
  for (auto& l : store_test::logs_of(dir)) raw += fs::file_size(l);

  for (const char* codec : {"auto", "columns"}) {  // columns: what a build without zstd writes
    store_test::temp_dir d2;
    fs::copy(root, d2 / "store", fs::copy_options::recursive);
    auto r = run_cli({"compact", (d2 / "store").string(), "--codec", codec}, d2.path());
    INFO(codec << ": " << r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("4 segment(s) compacted, 0 already compressed, 0 left raw, 0 failed") !=
          std::string::npos);
    CHECK(compressed(d2 / "store/node/metric") ==
          std::vector<bool>{true, true, true, true, false});  // the active one stays raw
    std::uint64_t now = 0;
    for (auto& l : store_test::logs_of(d2 / "store/node/metric")) now += fs::file_size(l);
    CHECK(now * 3 < raw);
    CHECK(store_test::reads_back(d2 / "store", "metric", n));
    CHECK(st::verify(d2 / "store").clean());
  }

  auto r = run_cli({"compact", root.string()}, d.path());
  REQUIRE(r.code == 0);
  // Again: nothing left to do. A scope directory works as STORE too.
  r = run_cli({"compact", (root / "node").string()}, d.path());
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("0 segment(s) compacted, 4 already compressed") != std::string::npos);
  CHECK(store_test::reads_back(root, "metric", n));

  SECTION("--seal-active: a store never written again is compacted whole") {
    auto s = run_cli({"compact", "--seal-active", root.string()}, d.path());
    INFO(s.out << s.err);
    CHECK(s.code == 0);
    CHECK(s.out.find("1 segment(s) compacted") != std::string::npos);
    CHECK(compressed(dir) == std::vector<bool>{true, true, true, true, true, false});
    CHECK(fs::file_size(store_test::logs_of(dir).back()) == st::detail::segment_header_size);
    CHECK(store_test::reads_back(root, "metric", n));
    CHECK(st::verify(root).clean());
  }
}

TEST_CASE("introspect compact refuses a live writer's store and names bad STOREs", "[store][cli]") {
  store_test::temp_dir d;
  const auto root = d / "store";
  const auto n = make_raw_store(root, 2);
  const auto dir = root / "node/metric";
  {
    st::writer_options wo;
    wo.close_seal_bytes = 0;
    st::writer live(root, "node", wo);  // holds the scope's lock, as a running product does
    st::stream_options o;
    o.seal = st::seal_codec::none;
    live.stream("metric", o);
    auto r = run_cli({"compact", root.string()}, d.path());
    INFO(r.out << r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot compact " + (root / "node").string()) != std::string::npos);
    CHECK(r.err.find("pid " + std::to_string(::getpid())) != std::string::npos);
    CHECK(compressed(dir) == std::vector<bool>{false, false, false});
  }
  CHECK(store_test::reads_back(root, "metric", n));

  auto r = run_cli({"compact", (d / "missing").string()}, d.path());
  CHECK(r.code == 2);
  CHECK(r.err.find((d / "missing").string()) != std::string::npos);
  CHECK(r.err.find("No such file or directory") != std::string::npos);
  fs::create_directories(d / "empty");
  r = run_cli({"compact", (d / "empty").string()}, d.path());
  CHECK(r.code == 2);
  CHECK(r.err.find("not a stream store") != std::string::npos);
  r = run_cli({"compact", root.string(), "--codec", "lz4"}, d.path());
  CHECK(r.code == 2);
  CHECK(r.err.find("--codec \"lz4\"") != std::string::npos);

  // A damaged sealed segment is left as it is, for verify, and named.
  store_test::flip_byte(store_test::logs_of(dir).front(), 200);
  r = run_cli({"compact", root.string()}, d.path());
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.err.find(store_test::logs_of(dir).front().string() + " left raw: segment holds damage") !=
        std::string::npos);
  CHECK(compressed(dir) == std::vector<bool>{false, true, false});

  r = run_cli({"compact", "--help"}, d.path());
  CHECK(r.code == 0);
  CHECK(r.out.find("--seal-active") != std::string::npos);
  CHECK(r.out.find("--codec") != std::string::npos);
}
