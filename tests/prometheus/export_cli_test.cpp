// `introspect export` as a user runs it: stdout without -o, the format from the file's
// extension without --format, and files created 0640 less the umask (issues 11 and 14).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>

#include "../cli/harness.hpp"
#include "support.hpp"

namespace {

using prom_test::contains;
const std::string demo = INTROSPECT_TEST_BIN_DIR "/demo_product";

// The demo's store, written once for every case of this file.
const std::string& demo_store() {
  static prom_test::temp_dir d("ix-export-cli");
  static const std::string store = [] {
    const auto s = (d.path() / "store").string();
    const auto r =
        cli_test::run({"--tier", "small", "--store", s, "--seed", "5", "--events", "5000"}, demo);
    REQUIRE(r.code == 0);
    return s;
  }();
  return store;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// Sets the umask for one scope (the CLI child inherits it).
struct umask_scope {
  mode_t old;
  explicit umask_scope(mode_t m) : old(::umask(m)) {}
  ~umask_scope() { ::umask(old); }
};

}  // namespace

TEST_CASE("export without -o writes to stdout", "[export][cli]") {
  const auto& store = demo_store();
  prom_test::temp_dir d("ix-export-out");
  const auto file = (d.path() / "all.jsonl").string();
  const auto to_file = cli_test::run({"export", store, "--format", "jsonl", "-o", file});
  REQUIRE(to_file.code == 0);
  const auto to_stdout = cli_test::run({"export", store, "--format", "jsonl"});
  INFO(to_stdout.err);
  REQUIRE(to_stdout.code == 0);
  CHECK(!to_stdout.out.empty());
  CHECK(to_stdout.out == prom_test::slurp(file));

  const auto om = cli_test::run({"export", "--format", "openmetrics", store});
  REQUIRE(om.code == 0);
  CHECK(contains(om.out, "# TYPE controller_requests counter\n"));
  CHECK(om.out.substr(om.out.size() - 6) == "# EOF\n");

  // No file and no format: nothing says what to write.
  const auto none = cli_test::run({"export", store});
  CHECK(none.code == 2);
  CHECK(contains(none.err, "--format"));
}

TEST_CASE("export takes the format from the file's extension", "[export][cli]") {
  const auto& store = demo_store();
  prom_test::temp_dir d("ix-export-ext");
  for (const auto& [ext, fmt] :
       {std::pair{"csv", "csv"}, {"jsonl", "jsonl"}, {"om", "openmetrics"}, {"prom", "prom"}}) {
    const auto implied = (d.path() / (std::string("a.") + ext)).string();
    const auto given = (d.path() / (std::string("b.") + ext)).string();
    auto r = cli_test::run({"export", store, "-o", implied});
    INFO(ext << ": " << r.err);
    REQUIRE(r.code == 0);
    r = cli_test::run({"export", store, "--format", fmt, "-o", given});
    REQUIRE(r.code == 0);
    CHECK(prom_test::slurp(implied) == prom_test::slurp(given));
    CHECK(!prom_test::slurp(implied).empty());
  }
  const auto db = (d.path() / "a.sqlite").string();
  const auto r = cli_test::run({"export", store, "-o", db});
  REQUIRE(r.code == 0);
  CHECK(prom_test::slurp(db).substr(0, 15) == "SQLite format 3");
  CHECK(prom_test::promtool_check_metrics(prom_test::slurp((d.path() / "a.prom").string())) == "");

  const auto bad = (d.path() / "a.xyz").string();
  const auto u = cli_test::run({"export", store, "-o", bad});
  CHECK(u.code == 2);
  CHECK(contains(u.err, bad));
  CHECK(contains(u.err, "extension"));
  CHECK(!std::filesystem::exists(bad));
}

TEST_CASE("export creates files 0640 less the umask, like the store", "[export][cli]") {
  const auto& store = demo_store();
  prom_test::temp_dir d("ix-export-mode");
  for (const auto& [ext, fmt] : {std::pair{"jsonl", "jsonl"},
                                 {"csv", "csv"},
                                 {"prom", "prom"},
                                 {"om", "openmetrics"},
                                 {"sqlite", "sqlite"}}) {
    INFO(ext);
    {
      umask_scope u(022);
      const auto f = (d.path() / (std::string("g.") + ext)).string();
      REQUIRE(cli_test::run({"export", store, "--format", fmt, "-o", f}).code == 0);
      CHECK(mode_of(f) == 0640);
    }
    {
      umask_scope u(077);
      const auto f = (d.path() / (std::string("p.") + ext)).string();
      REQUIRE(cli_test::run({"export", store, "--format", fmt, "-o", f}).code == 0);
      CHECK(mode_of(f) == 0600);
    }
  }
  // An unwritable place is named with its cause.
  const auto r =
      cli_test::run({"export", store, "--format", "jsonl", "-o", "/nonexistent-dir/x.jsonl"});
  CHECK(r.code == 2);
  CHECK(contains(r.err, "/nonexistent-dir/x.jsonl"));
  CHECK(contains(r.err, "No such file or directory"));
}
