// `introspect verify` as a user runs it (a child process on a real store): damage found means
// exit 1; file names from the store reach the terminal escaped (issue 11 item 7); what it could
// not read is damage with its path (issue 11 item 5).
#include <catch2/catch.hpp>
#include <introspect/codec/binary.hpp>
#include <introspect/store/writer.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fstream>

#include "cli_run.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

using store_test::cli_result;
using store_test::run_cli;
using store_test::slurp_file;

// Records the CLI decodes (verify also decodes every payload): metric records.
void make_store(const fs::path& root) {
  st::writer w(root, "node");
  st::stream_options o;
  o.segment_bytes = 1024;
  auto s = w.stream("all", o);
  std::string buf, name;
  for (int i = 0; i < 60; ++i) {
    name = "m" + std::to_string(i);
    introspect::record_view r;
    r.ts_ns = 1'767'225'600'000'000'000 + std::int64_t{i} * 1000;
    r.kind = introspect::record_kind::metric;
    r.mtype = introspect::metric_type::gauge;
    r.source = "test";
    r.name = name;
    r.val = std::int64_t{i};
    buf.clear();
    introspect::codec::encode(r, buf);
    REQUIRE(w.append(s, r.ts_ns, static_cast<std::uint8_t>(r.kind), std::string_view(buf)));
  }
}

}  // namespace

TEST_CASE("verify escapes file names and exits 1 on a missing middle segment", "[store][cli]") {
  store_test::temp_dir d("verify-cli");
  auto root = d / "store";
  make_store(root);
  auto dir = root / "node" / "all";
  CHECK(run_cli({"verify", root.string()}, d.path()).code == 0);
  // A foreign file whose name would set the terminal title and clear the screen.
  std::ofstream(dir /
                "evil\x1b]0;pwned\x07\x1b[2J\xc2\x9b"
                "31m")
      << "x";
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() >= 3);
  fs::remove(logs[1]);
  fs::remove(fs::path(logs[1]).replace_extension(".idx"));
  auto r = run_cli({"verify", root.string()}, d.path());
  CHECK(r.code == 1);
  CHECK(r.err.find("records missing between offsets") != std::string::npos);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
  CHECK(r.err.find("\xc2\x9b") == std::string::npos);
  CHECK(r.err.find("evil\\x1b") != std::string::npos);
}

TEST_CASE("verify exits 1 when both truncation copies are damaged", "[store][cli]") {
  store_test::temp_dir d("verify-cli-trunc");
  auto root = d / "store";
  make_store(root);
  {
    st::writer w(root, "node");
    w.truncate(w.stream("all"), 1'767'225'600'000'000'000 + 12'000);
  }
  auto dir = root / "node" / "all";
  store_test::flip_byte(dir / ".truncation", 30);
  store_test::flip_byte(dir / ".truncation.copy", 30);
  auto r = run_cli({"verify", root.string()}, d.path());
  CHECK(r.code == 1);
  CHECK(r.err.find("truncation point lost") != std::string::npos);
}
