// The introspect SQL virtual tables as users reach them: `introspect sql` as a child process,
// the loadable extension in the sqlite3 shell and in Python's standard sqlite3 module, over
// stores the demo product writes and stores written here with awkward content.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/store/writer.hpp>

#include "../cli/harness.hpp"

namespace ix = introspect;
using cli_test::result;
using cli_test::run;
using cli_test::shell;
using cli_test::temp_dir;

namespace {

const std::string demo = INTROSPECT_TEST_BIN_DIR "/demo_product";
const std::string extension = INTROSPECT_TEST_BIN_DIR "/libintrospect_sqlite.so";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// `introspect sql STORE "SQL" -o csv` without the header line.
std::string sql(const std::string& store, const std::string& q) {
  auto r = run({"sql", store, q, "-o", "csv"});
  INFO(q << "\n" << r.err);
  REQUIRE(r.code == 0);
  const auto nl = r.out.find('\n');
  return trim(nl == std::string::npos ? r.out : r.out.substr(nl + 1));
}

// `introspect query STORE args... -o csv --no-headers`: the aggregate's value.
std::string query_agg(const std::string& store, std::vector<std::string> args) {
  args.insert(args.begin(), {"query", store});
  for (auto a : {"-o", "csv", "--no-headers"}) args.push_back(a);
  auto r = run(args);
  INFO(r.err);
  if (r.code == 1 && trim(r.out).empty()) return "0";  // exit 1: no record matches
  REQUIRE(r.code == 0);
  auto out = trim(r.out);
  return out.substr(out.rfind(',') == std::string::npos ? 0 : out.rfind(',') + 1);
}

double num(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

// The demo's medium tier, one stream per kind (deterministic for a seed).
const std::string& demo_store() {
  static temp_dir dir("ix-sql-demo");
  static const std::string path = [] {
    const auto p = (dir.path() / "medium").string();
    auto r = run({"--tier", "medium", "--mapping", "per-kind", "--store", p, "--seed", "7",
                  "--events", "20000"},
                 demo);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return p;
  }();
  return path;
}

ix::record rec(ix::record_kind k, std::int64_t ts, std::string name, ix::value v = {},
               std::vector<ix::field> fields = {}) {
  ix::record r;
  r.kind = k;
  r.ts_ns = ts;
  r.source = "test";
  r.name = std::move(name);
  r.val = std::move(v);
  r.fields = std::move(fields);
  return r;
}

// Writes `recs` into scope "node-1", stream "all", in small segments with a dense time index.
void write_store(const std::string& root, const std::vector<ix::record>& recs) {
  ix::store::writer w(root, "node-1");
  ix::store::stream_options o;
  o.segment_bytes = 64u << 10;
  o.index_interval = 4u << 10;
  const auto id = w.stream("all", o);
  std::string payload;
  std::vector<ix::field_view> fv;
  for (const auto& r : recs) {
    payload.clear();
    ix::codec::encode(ix::view_of(r, fv), payload);
    REQUIRE(w.append(id, r.ts_ns, static_cast<std::uint8_t>(r.kind), payload));
  }
  w.flush();
}

// The first python3 whose sqlite3 module can load extensions (pyenv builds often cannot).
std::string python_with_extensions() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    int code = -1;
    shell(std::string(p) +
              " -c 'import sqlite3; sqlite3.connect(\":memory:\").enable_load_extension(True)' "
              "2>/dev/null",
          &code);
    if (code == 0) return p;
  }
  FAIL("no python3 with sqlite3 extension loading (Debian: apt-get install python3)");
  return {};
}

}  // namespace

TEST_CASE("sql counts and aggregates equal query --agg over the demo's store", "[sql][vtab]") {
  const auto& store = demo_store();
  for (std::string k : {"metric", "notification", "insight", "snapshot"}) {
    INFO(k);
    CHECK(sql(store, "SELECT count(*) FROM " + k) == query_agg(store, {"-k", k, "--agg", "count"}));
  }
  // State changes: the periodic state-table lines are in the table too, marked is_table.
  CHECK(sql(store, "SELECT count(*) FROM state WHERE is_table = 0") ==
        query_agg(store, {"-k", "state", "--agg", "count"}));
  const auto name = sql(store,
                        "SELECT name FROM metric WHERE type = 'gauge' GROUP BY name "
                        "ORDER BY count(*) DESC LIMIT 1");
  REQUIRE(!name.empty());
  for (std::string fn : {"sum", "min", "max", "avg"}) {
    INFO(fn << " of " << name);
    CHECK(num(sql(store, "SELECT " + fn + "(value) FROM metric WHERE name = '" + name + "'")) ==
          Approx(num(query_agg(store, {"-k", "metric", "-n", name, "--agg", fn}))));
  }
  // A time range given as text (ts) and as nanoseconds (ts_ns) selects what --since/--until do.
  const auto in_range = query_agg(store, {"-k", "metric", "--since", "2026-01-01T00:00:05Z",
                                          "--until", "2026-01-01T00:00:08Z", "--agg", "count"});
  CHECK(sql(store,
            "SELECT count(*) FROM metric WHERE ts >= '2026-01-01T00:00:05' AND ts < "
            "'2026-01-01T00:00:08'") == in_range);
  CHECK(sql(store,
            "SELECT count(*) FROM metric WHERE ts_ns >= 1767225605000000000 AND ts_ns < "
            "1767225608000000000") == in_range);
  // Every statement runs; the table-valued function sees every kind.
  auto r = run({"sql", store,
                "SELECT 1 AS a; SELECT count(*) AS n FROM introspect('" + store + "', 'metric')",
                "-o", "jsonl"});
  CHECK(r.code == 0);
  CHECK(r.out ==
        "{\"a\":1}\n{\"n\":" + query_agg(store, {"-k", "metric", "--agg", "count"}) + "}\n");
}

TEST_CASE("a time range is pushed down: rows visited follow the range, not the store",
          "[sql][vtab][pushdown]") {
  temp_dir dir("ix-sql-push");
  const auto store = (dir.path() / "s").string();
  std::vector<ix::record> recs;
  const std::int64_t t0 = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  const int n = 40000;
  for (int i = 0; i < n; ++i) {
    auto r = rec(ix::record_kind::metric, t0 + std::int64_t{i} * 1'000'000,
                 "m" + std::to_string(i % 7), double(i));
    r.mtype = ix::metric_type::gauge;
    recs.push_back(std::move(r));
  }
  write_store(store, recs);
  // 1 % of the time range, in the middle: records 20000..20399.
  auto r = run({"sql", store,
                "SELECT count(*), min(value), max(value) FROM metric WHERE ts BETWEEN "
                "'2026-01-01T00:00:20' AND '2026-01-01T00:00:20.399999999Z';"
                "SELECT json_extract(introspect_stats(), '$.rows_visited')",
                "-o", "csv"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto lines = cli_test::lines_of(r.out);
  REQUIRE(lines.size() >= 4);
  CHECK(lines[1] == "400,20000,20399");
  const auto visited = std::stoll(lines[3]);
  INFO("rows visited: " << visited << " of " << n);
  CHECK(visited >= 400);
  // The scan starts near the range (time index, 1 s early) and stops 1 s after it.
  CHECK(visited < n / 5);
  // Without a time bound every record is visited (name equality is checked per record).
  auto all = run({"sql", store,
                  "SELECT count(*) FROM metric WHERE name = 'm3';"
                  "SELECT json_extract(introspect_stats(), '$.rows_visited')",
                  "-o", "csv"});
  const auto all_lines = cli_test::lines_of(all.out);
  REQUIRE(all_lines.size() >= 4);
  CHECK(all_lines[1] == std::to_string((n + 6 - 3) / 7));
  CHECK(std::stoll(all_lines[3]) == n);
}

TEST_CASE("struct members named like fixed columns or differing in case get a prefix",
          "[sql][vtab][record]") {
  temp_dir dir("ix-sql-struct");
  const auto store = (dir.path() / "s").string();
  const std::int64_t t0 = 1'767'225'600'000'000'000;
  // Many members: the hidden stream column comes after all of them.
  auto wide = rec(ix::record_kind::record, t0 + 2, "Wide");
  for (int i = 0; i < 150; ++i) wide.fields.push_back({"m" + std::to_string(i), std::int64_t{i}});
  write_store(store, {rec(ix::record_kind::record, t0, "Odd", {},
                          {{"ts", std::int64_t{5}},
                           {"instance", std::string("mine")},
                           {"Disk", std::string("SDB")},
                           {"disk", std::string("sdb")},
                           {"source", 1.5}}),
                      rec(ix::record_kind::notification, t0 + 1, "bell\x1b[31mred\x07", {},
                          {{"k", std::string("line1\nline2")}}),
                      wide});
  CHECK(sql(store,
            "SELECT field_ts, field_instance, Disk, field_disk, field_source, instance "
            "FROM Odd") == "5,mine,SDB,sdb,1.5,node-1");
  CHECK(sql(store, "SELECT m149, stream FROM Wide WHERE stream = 'all' AND ts_ns > 0") ==
        "149,all");
  // export --format sqlite uses the same names.
  const auto db = (dir.path() / "x.db").string();
  REQUIRE(run({"export", store, "--format", "sqlite", "-o", db}).code == 0);
  int code = -1;
  CHECK(trim(shell("sqlite3 -csv " + db + " 'SELECT field_ts, Disk, field_disk FROM Odd'",
                   &code)) == "5,SDB,sdb");
  // Table output escapes control characters; csv and jsonl keep the data as it is.
  auto t = run({"sql", store, "SELECT name, fields FROM notification"});
  REQUIRE(t.code == 0);
  CHECK(t.out.find('\x1b') == std::string::npos);
  CHECK(t.out.find("bell\\x1b[31mred\\x07") != std::string::npos);
}

TEST_CASE("without a statement, sql reads statements and dot commands from stdin",
          "[sql][vtab][shell]") {
  const auto& store = demo_store();
  int code = -1;
  const auto out = shell(
      "printf '.tables\\n.mode csv\\nSELECT count(*) AS n\\n FROM notification;\\n"
      ".schema metric\\n' | " +
          cli_test::bin + " sql " + store,
      &code);
  CHECK(code == 0);
  for (auto t : {"metric", "notification", "state", "insight", "snapshot", "meta", "record"})
    CHECK(out.find(std::string(t)) != std::string::npos);
  CHECK(out.find("n\n" + query_agg(store, {"-k", "notification", "--agg", "count"}) + "\n") !=
        std::string::npos);
  CHECK(out.find("CREATE VIRTUAL TABLE") != std::string::npos);
  shell("printf 'SELEC 1;\\n.nonsense\\n' | " + cli_test::bin + " sql " + store + " 2>&1", &code);
  CHECK(code == 1);
}

TEST_CASE("bad stores and bad SQL are usage errors naming the cause", "[sql][vtab][errors]") {
  auto r = run({"sql", "/nonexistent/store", "SELECT 1"});
  CHECK(r.code == 2);
  CHECK(r.err.find("/nonexistent/store") != std::string::npos);
  r = run({"sql", demo_store(), "SELECT nosuchcolumn FROM metric"});
  CHECK(r.code == 2);
  CHECK(r.err.find("no such column: nosuchcolumn") != std::string::npos);
}

TEST_CASE("the extension loads in the sqlite3 shell", "[sql][extension]") {
  const auto& store = demo_store();
  int code = -1;
  const auto out =
      shell("sqlite3 -batch :memory: '.load " + extension + "' \"SELECT introspect_attach('" +
                store + "') > 0\" 'SELECT count(*) FROM notification' 2>&1",
            &code);
  INFO(out);
  CHECK(code == 0);
  CHECK(out == "1\n" + query_agg(store, {"-k", "notification", "--agg", "count"}) + "\n");
  const auto bad = shell("sqlite3 -batch :memory: '.load " + extension +
                             "' \"CREATE VIRTUAL TABLE t USING introspect('/nonexistent/x', "
                             "metric)\" 2>&1",
                         &code);
  CHECK(code != 0);
  CHECK(bad.find("/nonexistent/x") != std::string::npos);
}

TEST_CASE("the extension runs a query from Python's standard sqlite3 module",
          "[sql][extension][python]") {
  const auto& store = demo_store();
  const auto py = python_with_extensions();
  temp_dir dir("ix-sql-py");
  const auto script = dir.path() / "q.py";
  std::ofstream(script) << "import sqlite3, sys\n"
                           "db = sqlite3.connect(':memory:')\n"
                           "db.enable_load_extension(True)\n"
                           "db.load_extension(sys.argv[1])\n"
                           "db.execute(\"CREATE VIRTUAL TABLE temp.m USING introspect(?, metric)\""
                           ".replace('?', \"'\" + sys.argv[2] + \"'\"))\n"
                           "n, = db.execute('SELECT count(*) FROM m').fetchone()\n"
                           "k, = db.execute(\"SELECT count(*) FROM introspect(?, 'notification')\","
                           " (sys.argv[2],)).fetchone()\n"
                           "print(n, k)\n";
  int code = -1;
  const auto out =
      shell(py + " " + script.string() + " " + extension + " " + store + " 2>&1", &code);
  INFO(out);
  CHECK(code == 0);
  CHECK(out == query_agg(store, {"-k", "metric", "--agg", "count"}) + " " +
                   query_agg(store, {"-k", "notification", "--agg", "count"}) + "\n");
}

#if defined(INTROSPECT_TEST_HAS_BUNDLE)
namespace {

// The sqlite3 shell with the extension, running `statements` (each in double quotes: they hold
// single quotes only); extracted bundles go under `tmp`. Returns stdout and stderr.
std::string sqlite_ext(const std::vector<std::string>& statements, const std::string& tmp,
                       int& code, const std::string& as = {}) {
  std::string cmd = as + "env TMPDIR=" + tmp + " sqlite3 -batch :memory: '.load " + extension + "'";
  for (const auto& s : statements) cmd += " \"" + s + "\"";
  return shell(cmd + " 2>&1", &code);
}

// The same questions of a store and of a bundle of it, through the virtual table and the
// table-valued function.
std::vector<std::string> bundle_queries(const std::string& x) {
  return {"CREATE VIRTUAL TABLE temp.m USING introspect('" + x + "', metric)",
          "SELECT count(*), sum(value), min(ts), max(ts) FROM m",
          "SELECT name, count(*), max(value) FROM m WHERE ts_ns >= (SELECT min(ts_ns) FROM m) + "
          "5000000000 AND ts_ns < (SELECT min(ts_ns) FROM m) + 10000000000 GROUP BY name "
          "ORDER BY name",
          "SELECT kind, count(*), min(ts_ns), max(ts_ns) FROM introspect('" + x +
              "') GROUP BY kind ORDER BY kind",
          "SELECT severity, count(*) FROM introspect('" + x +
              "', 'notification') GROUP BY 1 ORDER BY 1",
          "SELECT count(*) FROM introspect('" + x + "') WHERE kind = 'record'"};
}

bool extracted_left(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().starts_with("introspect-bundle-")) return true;
  return false;
}

}  // namespace

TEST_CASE("the virtual table and the table-valued function read a bundle as they read its store",
          "[sql][extension][bundle]") {
  const auto& store = demo_store();
  temp_dir t("ix-sql-bundle");
  const auto tmp = t.path().string();
  int code = -1;
  const auto want = sqlite_ext(bundle_queries(store), tmp, code);
  INFO(want);
  REQUIRE(code == 0);
  REQUIRE(std::count(want.begin(), want.end(), '\n') > 10);  // a real answer, not an empty one
  for (const char* name : {"case.tar.zst", "case.tar"}) {
    const auto b = (t.path() / name).string();
    auto r = run({"bundle", store, "-o", b});
    INFO(r.err);
    REQUIRE(r.code == 0);
    const auto got = sqlite_ext(bundle_queries(b), tmp, code);
    INFO(name << "\n" << got);
    CHECK(code == 0);
    CHECK(got == want);
    // The extracted copy goes when the connection closes.
    CHECK_FALSE(extracted_left(t.path()));
  }

  // The same through Python's sqlite3 module: the function over the bundle and over the store.
  const auto py = python_with_extensions();
  const auto script = t.path() / "b.py";
  std::ofstream(script) << "import sqlite3, sys\n"
                           "db = sqlite3.connect(':memory:')\n"
                           "db.enable_load_extension(True)\n"
                           "db.load_extension(sys.argv[1])\n"
                           "q = 'SELECT kind, count(*), sum(ts_ns % 1000) FROM introspect(?) "
                           "GROUP BY kind ORDER BY kind'\n"
                           "a = db.execute(q, (sys.argv[2],)).fetchall()\n"
                           "b = db.execute(q, (sys.argv[3],)).fetchall()\n"
                           "print(len(a), a == b)\n";
  const auto out = shell("TMPDIR=" + tmp + " " + py + " " + script.string() + " " + extension +
                             " " + store + " " + (t.path() / "case.tar.zst").string() + " 2>&1",
                         &code);
  INFO(out);
  CHECK(code == 0);
  CHECK(out.ends_with(" True\n"));
  CHECK_FALSE(out.starts_with("0 "));
}

TEST_CASE(
    "a truncated, missing or unreadable bundle is an SQLite error naming it; on_damage=read "
    "gives what is intact",
    "[sql][extension][bundle][errors]") {
  const auto& store = demo_store();
  temp_dir t("ix-sql-bundle-bad");
  const auto tmp = t.path().string();
  int code = -1;
  const auto full = sql(store, "SELECT count(*) FROM introspect('" + store + "')");
  for (const char* name : {"d.tar.zst", "d.tar"}) {
    const auto b = t.path() / name;
    auto r = run({"bundle", store, "-o", b.string()});
    REQUIRE(r.code == 0);
    // Cut at two thirds: the members before the cut come out whole, the checksums do not.
    const auto cut = (t.path() / (std::string("cut-") + name)).string();
    std::filesystem::copy_file(b, cut);
    std::filesystem::resize_file(cut, std::filesystem::file_size(b) * 2 / 3);
    INFO(name);
    for (const auto& q : {"CREATE VIRTUAL TABLE temp.m USING introspect('" + cut + "', metric)",
                          "SELECT count(*) FROM introspect('" + cut + "')",
                          "SELECT introspect_attach('" + cut + "')"}) {
      const auto err = sqlite_ext({q}, tmp, code);
      INFO(q << "\n" << err);
      CHECK(code != 0);
      CHECK(err.find(cut) != std::string::npos);
      CHECK(err.find("truncated") != std::string::npos);
      // A zstd bundle cut this far fails before its first member (as in the CLI): no hint.
      if (std::string_view(name) == "d.tar") {
        CHECK(err.find("bundle \"" + cut + "\" is damaged or truncated") != std::string::npos);
        CHECK(err.find("on_damage") != std::string::npos);
      }
    }
    if (std::string_view(name) != "d.tar") continue;
    // Asked for, what is intact: the rows the CLI reads from the same cut bundle.
    const auto cli = sql(cut, "SELECT count(*) FROM introspect('" + cut + "')");
    const auto got = sqlite_ext(
        {"CREATE VIRTUAL TABLE temp.m USING introspect('" + cut + "', metric, on_damage=read)",
         "SELECT count(*) FROM introspect('" + cut + "') WHERE on_damage = 'read'",
         "SELECT json_extract(introspect_stats(), '$.damaged') > 0",
         "SELECT introspect_attach('" + cut + "', 'temp', 'read') > 0"},
        tmp, code);
    INFO(got);
    CHECK(code == 0);
    CHECK(got == cli + "\n1\n1\n");
    CHECK(num(cli) > 0);
    CHECK(num(cli) < num(full));
    CHECK_FALSE(extracted_left(t.path()));
  }

  // Missing, not a bundle, unreadable: each names the path and the cause.
  const auto missing = t.path().string() + "/none.tar.zst";
  auto err = sqlite_ext({"SELECT count(*) FROM introspect('" + missing + "')"}, tmp, code);
  CHECK(code != 0);
  CHECK(err.find(missing) != std::string::npos);
  CHECK(err.find("no such file or directory") != std::string::npos);
  const auto junk = t.path().string() + "/junk.tar.zst";
  std::ofstream(junk) << "this is not a bundle\n";
  err = sqlite_ext({"CREATE VIRTUAL TABLE temp.j USING introspect('" + junk + "', metric)"}, tmp,
                   code);
  INFO(err);
  CHECK(code != 0);
  CHECK(err.find("bundle \"" + junk + "\": not a bundle") != std::string::npos);
  // Root reads anything: the shell runs as nobody to meet the file's mode.
  const auto locked = t.path().string() + "/locked.tar";
  std::filesystem::copy_file(t.path() / "d.tar", locked);
  ::chmod(locked.c_str(), 0);
  ::chmod(t.path().c_str(), 0755);
  err = sqlite_ext({"SELECT count(*) FROM introspect('" + locked + "')"}, tmp, code,
                   ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "");
  INFO(err);
  CHECK(code != 0);
  CHECK(err.find("bundle \"" + locked + "\": cannot read it: Permission denied") !=
        std::string::npos);
}
#endif
