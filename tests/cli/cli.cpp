// Runs the built introspect binary on stores written by introspection<tier::tiny> and on
// hand-made files, and checks its output (parsed with simdjson and with jq) and exit codes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include <introspect/introspect.hpp>

#include "harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace cli_test;

namespace {

std::atomic<std::int64_t> fake_now{1'767'225'600'000'000'000LL};  // 2026-01-01T00:00:00Z
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000); }

// A tiny store: `notes` notifications and as many state changes, in small rotating files.
void write_store(const fs::path& dir, const std::string& instance, int notes,
                 std::uint64_t file_bytes = 16384) {
  ix::config c;
  c.store = dir;
  c.instance = instance;
  c.clock = &fake_clock;
  c.file_bytes = file_bytes;
  c.files_kept = 10000;
  ix::introspection<ix::tier::tiny> ins{c};
  for (int i = 0; i < notes; ++i) {
    ins.state("container/" + std::to_string(i % 3), i % 2 ? "UP" : "RECOVERING");
    ins.notify(i % 10 == 0 ? ix::severity::error : ix::severity::warning, "disk nearly full",
               {{"disk", i % 2 ? "sdb" : "sda"}, {"pct", 50 + i % 50}, {"i", i}});
    if (i % 100 == 99) ins.flush();
  }
  ins.flush();
}

// Counts records of a kind in the files with jq, independently of the CLI.
long jq_count(const fs::path& dir, const std::string& kind) {
  int code = -1;
  auto out = shell(
      "cat " + dir.string() + "/*.jsonl | jq -c 'select(.kind==\"" + kind + "\")' | wc -l", &code);
  REQUIRE(code == 0);
  return std::stol(out);
}

// Every line is a JSON object with the contract's keys; returns the records' instances.
std::vector<std::string> check_jsonl(const std::string& out) {
  std::vector<std::string> instances;
  simdjson::dom::parser p;
  for (const auto& line : lines_of(out)) {
    simdjson::dom::element doc;
    REQUIRE_FALSE(p.parse(line).get(doc));
    std::string_view ts, kind, inst, src, name;
    REQUIRE_FALSE(doc["ts"].get_string().get(ts));
    CHECK(ts.size() == 30);  // RFC 3339 with nanoseconds
    CHECK(ix::parse_rfc3339(ts).has_value());
    REQUIRE_FALSE(doc["kind"].get_string().get(kind));
    REQUIRE_FALSE(doc["instance"].get_string().get(inst));
    REQUIRE_FALSE(doc["source"].get_string().get(src));
    REQUIRE_FALSE(doc["name"].get_string().get(name));
    CHECK(
        (doc["value"].error() == simdjson::SUCCESS || doc["fields"].error() == simdjson::SUCCESS));
    instances.emplace_back(inst);
  }
  return instances;
}

bool jq_valid(const std::string& text, long* count = nullptr) {
  temp_dir d("ix-cli-jq");
  const auto f = d.path() / "x.jsonl";
  std::ofstream(f, std::ios::binary) << text;
  int code = -1;
  auto out = shell("jq -s length " + f.string() + " 2>&1", &code);
  if (count && code == 0) *count = std::stol(out);
  return code == 0;
}

}  // namespace

TEST_CASE("query --kind notification --format jsonl prints exactly the files' notifications",
          "[cli][tiny]") {
  temp_dir d("ix-cli-count");
  write_store(d.path(), "n1", 1000);
  REQUIRE(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{}) > 3);
  const long expected = jq_count(d.path(), "notification");
  REQUIRE(expected == 1000);
  auto r = run({"query", d.path().string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  const auto lines = lines_of(r.out);
  CHECK(static_cast<long>(lines.size()) == expected);
  const auto inst = check_jsonl(r.out);
  CHECK(std::all_of(inst.begin(), inst.end(), [](auto& s) { return s == "n1"; }));
  long jq_n = 0;
  CHECK(jq_valid(r.out, &jq_n));
  CHECK(jq_n == expected);
  // In time order, and the same as jq's notifications in file order.
  int code = -1;
  auto jq_is = shell(
      "cat " + d.path().string() +
          "/*.jsonl | jq -r 'select(.kind==\"notification\") | .fields.i' | sort -n | uniq | wc -l",
      &code);
  CHECK(std::stol(jq_is) == expected);

  // The files given one by one read the same.
  std::vector<std::string> args{"query", "--kind", "notification", "--format", "jsonl"};
  for (auto& e : fs::directory_iterator(d.path())) args.push_back(e.path().string());
  auto r2 = run(args);
  CHECK(r2.code == 0);
  CHECK(r2.out == r.out);
}

TEST_CASE("query defaults: table lines and meta are hidden unless asked", "[cli][tiny]") {
  temp_dir d("ix-cli-defaults");
  write_store(d.path(), "n1", 200);
  const long states = jq_count(d.path(), "state"), metas = jq_count(d.path(), "meta");
  int code = -1;
  const long changes =
      std::stol(shell("cat " + d.path().string() +
                          "/*.jsonl | jq -c 'select(.kind==\"state\" and .table != true)' | wc -l",
                      &code));
  CHECK(changes == 200);
  auto all = run({"query", d.path().string(), "--format", "jsonl"});
  CHECK(all.code == 0);
  CHECK(static_cast<long>(lines_of(all.out).size()) == 400);  // changes + notifications
  auto st = run({"query", d.path().string(), "--kind", "state", "--table", "--format", "jsonl"});
  CHECK(static_cast<long>(lines_of(st.out).size()) == states);
  auto meta = run({"query", d.path().string(), "--kind", "meta", "--format", "jsonl"});
  CHECK(static_cast<long>(lines_of(meta.out).size()) == metas);
  CHECK(metas > 0);
}

TEST_CASE("two instances merge into one time-ordered view", "[cli][tiny]") {
  temp_dir d("ix-cli-merge");
  write_store(d.path() / "a", "a", 100);
  write_store(d.path() / "b", "b", 100);
  // Interleave: c's records are stamped between the others'.
  {
    std::ofstream f(d.path() / "c-00000001.jsonl");
    f << R"({"ts":"2026-01-01T00:00:00.000500000Z","kind":"notification","instance":"c","source":"x","name":"early","fields":{"n":1}})"
      << '\n';
  }
  auto r = run({"query", (d.path() / "a").string(), (d.path() / "b").string(),
                (d.path() / "c-00000001.jsonl").string(), "--kind", "notification", "--format",
                "jsonl"});
  CHECK(r.code == 0);
  const auto inst = check_jsonl(r.out);
  REQUIRE(inst.size() == 201);
  CHECK(inst.front() == "c");
  std::map<std::string, int> per;
  for (auto& i : inst) ++per[i];
  CHECK(per["a"] == 100);
  CHECK(per["b"] == 100);
  std::string last;
  for (const auto& l : lines_of(r.out)) {
    auto ts = l.substr(7, 30);
    CHECK(ts >= last);
    last = ts;
  }
}

TEST_CASE("verify: exit 0 when clean, 1 with each malformed line as file:line", "[cli][damage]") {
  temp_dir d("ix-cli-verify");
  write_store(d.path(), "n1", 50, 1 << 20);
  auto clean = run({"verify", d.path().string()});
  CHECK(clean.code == 0);
  CHECK(clean.err.empty());
  CHECK_THAT(clean.out, Catch::Contains("0 damaged"));

  const auto file = d.path() / "n1-00000001.jsonl";
  const auto good_lines = lines_of(slurp(file)).size();
  {
    std::ofstream f(file, std::ios::app | std::ios::binary);
    f << "{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"notification\",\"name\":\"ok\"}\n";
    f << "{\"ts\":\"garbage\",\"kind\":\"notification\",\"name\":\"bad ts\"}\n";
    f << "{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"notif";  // crash mid-line
  }
  auto bad = run({"verify", d.path().string()});
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains(file.string() + ":" + std::to_string(good_lines + 2) +
                                      ": bad timestamp"));
  CHECK_THAT(bad.err, Catch::Contains(file.string() + ":" + std::to_string(good_lines + 3) +
                                      ": truncated last line"));
  CHECK_THAT(bad.out, Catch::Contains("2 damaged"));

  // query reports the damage on stderr, skips it, still prints the rest and succeeds.
  auto q = run({"query", d.path().string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(q.code == 0);
  CHECK(lines_of(q.out).size() == 51);
  CHECK_THAT(q.err, Catch::Contains(":" + std::to_string(good_lines + 2) + ": bad timestamp"));
  CHECK(jq_valid(q.out));
}

TEST_CASE("usage errors exit 2 and name the bad argument", "[cli][usage]") {
  temp_dir d("ix-cli-usage");
  write_store(d.path(), "n1", 5);
  const auto s = d.path().string();
  auto missing = run({"query", (d.path() / "nope").string()});
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("nope"));
  CHECK(missing.out.empty());
  auto flag = run({"query", s, "--bogus"});
  CHECK(flag.code == 2);
  CHECK_THAT(flag.err, Catch::Contains("--bogus"));
  auto since = run({"query", s, "--since", "the day before"});
  CHECK(since.code == 2);
  CHECK_THAT(since.err, Catch::Contains("--since \"the day before\""));
  auto until = run({"query", s, "--until", "2026-13-01T00:00:00Z"});
  CHECK(until.code == 2);
  CHECK_THAT(until.err, Catch::Contains("--until"));
  auto kind = run({"query", s, "--kind", "gossip"});
  CHECK(kind.code == 2);
  CHECK_THAT(kind.err, Catch::Contains("--kind \"gossip\""));
  auto where = run({"query", s, "--where", "vlaue > 3"});
  CHECK(where.code == 2);
  CHECK_THAT(where.err, Catch::Contains("unknown field \"vlaue\""));
  auto every = run({"query", s, "--agg", "count", "--every", "soon"});
  CHECK(every.code == 2);
  CHECK_THAT(every.err, Catch::Contains("--every \"soon\""));
  auto agg = run({"query", s, "--agg", "median"});
  CHECK(agg.code == 2);
  CHECK_THAT(agg.err, Catch::Contains("--agg \"median\""));
  auto fmt = run({"query", s, "--format", "xml"});
  CHECK(fmt.code == 2);
  CHECK_THAT(fmt.err, Catch::Contains("--format \"xml\""));
  auto none = run({});
  CHECK(none.code == 2);
  auto nostore = run({"query"});
  CHECK(nostore.code == 2);
  CHECK_THAT(nostore.err, Catch::Contains("STORE"));
  auto cmd = run({"frobnicate", s});
  CHECK(cmd.code == 2);
  auto help = run({"--help"});
  CHECK(help.code == 0);
  CHECK_THAT(help.out, Catch::Contains("query"));
  auto sql = run({"sql", s, "SELEKT 1"});
  CHECK(sql.code == 2);
  CHECK_THAT(sql.err, Catch::Contains("syntax error"));
  auto sql_table = run({"sql", s, "SELECT * FROM nosuch"});
  CHECK(sql_table.code == 2);
  CHECK_THAT(sql_table.err, Catch::Contains("no such table: nosuch"));
  auto tr = run({"truncate", s, "--stream", "all", "--before", "1h"});
  CHECK(tr.code == 2);
  CHECK_THAT(tr.err, Catch::Contains("not a stream store"));
  auto stream = run({"query", s, "--stream", "other-*"});
  CHECK(stream.code == 2);
  CHECK_THAT(stream.err, Catch::Contains("--stream \"other-*\""));
  temp_dir e("ix-cli-empty");
  auto empty_dir = run({"query", e.path().string()});
  CHECK(empty_dir.code == 2);
  CHECK_THAT(empty_dir.err, Catch::Contains("no introspect files"));
  auto verify_missing = run({"verify", "/nonexistent/introspect-store"});
  CHECK(verify_missing.code == 2);
  CHECK_THAT(verify_missing.err, Catch::Contains("/nonexistent/introspect-store"));
}

TEST_CASE("filters: name glob, time range, where; no match exits 1", "[cli][filter]") {
  temp_dir d("ix-cli-filter");
  const auto t0 = fake_now.load();
  write_store(d.path(), "n1", 100);
  const auto s = d.path().string();
  auto name = run({"query", s, "--name", "container/[01]", "--format", "jsonl"});
  CHECK(name.code == 0);
  CHECK(lines_of(name.out).size() == 67);  // i % 3 in {0, 1}
  auto glob = run({"query", s, "--name", "disk*", "--format", "jsonl"});
  CHECK(lines_of(glob.out).size() == 100);
  auto two = run({"query", s, "--name", "disk*", "--name", "container/0", "--format", "jsonl"});
  CHECK(lines_of(two.out).size() == 134);
  auto stream = run(
      {"query", s, "--stream", "n1-00000001.jsonl", "--kind", "notification", "--format", "jsonl"});
  CHECK(stream.code == 0);
  CHECK(lines_of(stream.out).size() < 100);  // only the first file
  CHECK_THAT(stream.out, Catch::Contains("\"i\":0}"));

  // Each call of the fake clock is 1 ms; the writer's construction reads it once, then state i
  // is stamped t0 + 2i + 1 ms and notification i t0 + 2i + 2 ms: 49 fall before t0 + 100 ms.
  const auto mid = ix::format_rfc3339(t0 + 100'000'000);
  auto since = run({"query", s, "--kind", "notification", "--since", mid, "--format", "jsonl"});
  auto until = run({"query", s, "--kind", "notification", "--until", mid, "--format", "jsonl"});
  CHECK(since.code == 0);
  CHECK(until.code == 0);
  CHECK(lines_of(since.out).size() + lines_of(until.out).size() == 100);
  CHECK(lines_of(until.out).size() == 49);
  auto rel = run({"query", s, "--kind", "notification", "--since", "36500d", "--format", "jsonl"});
  CHECK(lines_of(rel.out).size() == 100);
  auto future = run({"query", s, "--since", "2100-01-01T00:00:00Z"});
  CHECK(future.code == 1);  // nothing matched, and stderr says where the records are
  CHECK_THAT(future.err, Catch::Contains("the store's records run from 2026-01-01T"));

  auto where = run(
      {"query", s, "--where", "fields.disk == 'sdb' and fields.pct >= 90", "--format", "jsonl"});
  CHECK(where.code == 0);
  long n = 0;
  CHECK(jq_valid(where.out, &n));
  int code = -1;
  auto jq = shell(
      "cat " + s + "/*.jsonl | jq -c 'select(.fields.disk==\"sdb\" and .fields.pct >= 90)' | wc -l",
      &code);
  CHECK(n == std::stol(jq));
  CHECK(n > 0);
  auto sev = run({"query", s, "--where", "severity >= error", "--format", "jsonl"});
  CHECK(lines_of(sev.out).size() == 10);
}

TEST_CASE("formats: csv per RFC 4180 and an aligned table", "[cli][format]") {
  temp_dir d("ix-cli-format");
  write_store(d.path(), "n1", 20);
  auto csv = run({"query", d.path().string(), "--kind", "notification", "--format", "csv"});
  CHECK(csv.code == 0);
  auto rows = lines_of(csv.out);
  REQUIRE(rows.size() == 21);
  CHECK(rows[0] == "ts,kind,instance,source,name,severity,type,value,fields,table\r");
  CHECK_THAT(rows[1], Catch::Contains(",notification,n1,product,disk nearly full,error,,,\"{"));
  auto table = run({"query", d.path().string(), "--kind", "notification"});
  CHECK(table.code == 0);
  auto t = lines_of(table.out);
  REQUIRE(t.size() == 21);
  CHECK(t[0].rfind("TS", 0) == 0);
  CHECK(t[0].find("NAME") == t[1].find("disk nearly full"));
  CHECK(t[1].find("disk nearly full") == t[20].find("disk nearly full"));
}

TEST_CASE("streams lists each file with counts that add up", "[cli][streams]") {
  temp_dir d("ix-cli-streams");
  write_store(d.path(), "n1", 300);
  auto r = run({"streams", d.path().string(), "--format", "jsonl"});
  CHECK(r.code == 0);
  simdjson::dom::parser p;
  std::uint64_t notes = 0, files = 0, bytes = 0;
  for (const auto& l : lines_of(r.out)) {
    simdjson::dom::element doc;
    REQUIRE_FALSE(p.parse(l).get(doc));
    std::string_view scope;
    REQUIRE_FALSE(doc["scope"].get_string().get(scope));
    CHECK(scope == "n1");
    notes += doc["kinds"]["notification"].get_uint64().value();
    bytes += doc["bytes"].get_uint64().value();
    ++files;
  }
  CHECK(notes == 300);
  CHECK(files == static_cast<std::uint64_t>(
                     std::distance(fs::directory_iterator(d.path()), fs::directory_iterator{})));
  std::uint64_t disk = 0;
  for (auto& e : fs::directory_iterator(d.path())) disk += e.file_size();
  CHECK(bytes == disk);
  auto table = run({"streams", d.path().string(), "-o", "wide"});  // counts per kind
  CHECK(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("n1-00000001.jsonl"));
  CHECK_THAT(table.out, Catch::Contains("notification"));
}

TEST_CASE("aggregates: count by name, buckets, avg of a where-filtered set", "[cli][agg]") {
  temp_dir d("ix-cli-agg");
  write_store(d.path(), "n1", 90);
  const auto s = d.path().string();
  auto by = run({"query", s, "--agg", "count", "--by", "name", "--format", "jsonl"});
  CHECK(by.code == 0);
  CHECK(by.out ==
        "{\"name\":\"container/0\",\"count\":30,\"records\":30}\n"
        "{\"name\":\"container/1\",\"count\":30,\"records\":30}\n"
        "{\"name\":\"container/2\",\"count\":30,\"records\":30}\n"
        "{\"name\":\"disk nearly full\",\"count\":90,\"records\":90}\n");
  CHECK(jq_valid(by.out));
  auto disk = run({"query", s, "--kind", "notification", "--agg", "count", "--by", "fields.disk",
                   "--format", "csv"});
  CHECK(disk.out == "fields.disk,count\r\nsda,45\r\nsdb,45\r\n");
  auto every = run({"query", s, "--kind", "notification", "--agg", "count", "--every", "100ms",
                    "--format", "jsonl"});
  long total = 0;
  for (const auto& l : lines_of(every.out)) {
    simdjson::dom::parser p;
    total += static_cast<long>(p.parse(l)["count"].get_double().value());
  }
  CHECK(total == 90);
  CHECK(lines_of(every.out).size() >= 2);
}

TEST_CASE("export writes jsonl and csv files", "[cli][export]") {
  temp_dir d("ix-cli-export");
  temp_dir o("ix-cli-export-out");  // outside the store, or the store would read it back
  write_store(d.path(), "n1", 40);
  const auto out = o.path() / "out.jsonl";
  auto r = run({"export", d.path().string(), "--kind", "notification", "--format", "jsonl", "-o",
                out.string()});
  CHECK(r.code == 0);
  const auto text = slurp(out);
  long n = 0;
  CHECK(jq_valid(text, &n));
  CHECK(n == 40);
  auto q = run({"query", d.path().string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(q.out == text);
  const auto csv = o.path() / "out.csv";
  auto c = run({"export", d.path().string(), "--format", "csv", "-o", csv.string()});
  CHECK(c.code == 0);
  CHECK(lines_of(slurp(csv)).size() == 81);
  auto bad = run({"export", d.path().string(), "--format", "csv", "-o", "/nonexistent/dir/x.csv"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("/nonexistent/dir/x.csv"));
}

TEST_CASE("tail prints the latest records; --follow shows appended ones within 1 s",
          "[cli][tail]") {
  temp_dir d("ix-cli-tail");
  write_store(d.path(), "n1", 30, 1 << 20);
  auto r =
      run({"tail", d.path().string(), "--kind", "notification", "-l", "5", "--format", "jsonl"});
  CHECK(r.code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 5);
  CHECK_THAT(lines.back(), Catch::Contains("\"i\":29"));
  CHECK_THAT(lines.front(), Catch::Contains("\"i\":25"));

  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  const std::string dir = d.path().string();  // before fork(): the child only makes syscalls
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    ::execl(bin.c_str(), bin.c_str(), "tail", dir.c_str(), "--follow", "--kind", "notification",
            "-l", "1", "--format", "jsonl", "--timeout", "20s", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  auto read_line = [&](int ms) {
    std::string got;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (got.find('\n') == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd pf{pipefd[0], POLLIN, 0};
      if (::poll(&pf, 1, 50) > 0) {
        char buf[4096];
        const auto n = ::read(pipefd[0], buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
    }
    return got;
  };
  const auto first = read_line(5000);
  CHECK_THAT(first, Catch::Contains("\"i\":29"));
  {
    ix::config c;
    c.store = d.path();
    c.instance = "n1";
    c.clock = &fake_clock;
    ix::introspection<ix::tier::tiny> ins{c};
    ins.notify(ix::severity::critical, "appended live", {{"i", 1000}});
    ins.flush();
    const auto t = std::chrono::steady_clock::now();
    const auto next = read_line(1500);
    const auto took = std::chrono::steady_clock::now() - t;
    CHECK_THAT(next, Catch::Contains("appended live"));
    CHECK(took < std::chrono::milliseconds(1000));
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(pipefd[0]);
  CHECK(WIFEXITED(status));
}

#if defined(INTROSPECT_TEST_HAS_BUNDLE)
TEST_CASE("a tiny store's bad lines are named by its bundle: manifest, verify and summary",
          "[cli][tiny][bundle]") {
  temp_dir d("ix-cli-tiny-bundle");
  const auto store = d.path() / "tiny";
  write_store(store, "n1", 200);
  // Two bad lines inside the first file: a bad timestamp (line 5), a record cut short (line 9).
  const auto file = store / "n1-00000001.jsonl";
  auto ls = lines_of(slurp(file));
  REQUIRE(ls.size() > 10);
  ls.insert(ls.begin() + 4, R"({"ts":"garbage","kind":"notification","name":"bad ts"})");
  ls.insert(ls.begin() + 8, R"({"ts":"2026-01-01T00:00:00Z","kind":"notif)");
  {
    std::ofstream f(file, std::ios::trunc | std::ios::binary);
    for (const auto& l : ls) f << l << '\n';
  }
  const auto want = run({"query", store.string(), "-k", "notification", "-o", "jsonl"});
  REQUIRE(want.code == 0);
  REQUIRE(lines_of(want.out).size() == 200);
  REQUIRE_THAT(want.err, Catch::Contains(file.string() + ":5: bad timestamp"));

  const auto b = (d.path() / "tiny.tar").string();
  auto r = run({"bundle", store.string(), "-o", b});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const std::string member = "stores/0/n1-00000001.jsonl";

  // The manifest's verify result names each line and why; verify.txt says the same.
  int code = -1;
  const auto manifest = shell("tar -xOf " + b + " manifest.json", &code);
  REQUIRE(code == 0);
  simdjson::dom::parser p;
  simdjson::dom::element m;
  REQUIRE(p.parse(manifest).get(m) == simdjson::SUCCESS);
  CHECK(m["verify"]["clean"].get_bool().value() == false);
  CHECK(m["verify"]["damages"].get_uint64().value() == 2);
  simdjson::dom::array bad;
  REQUIRE(m["verify"]["damaged_lines"].get_array().get(bad) == simdjson::SUCCESS);
  std::vector<std::string> named;
  for (auto e : bad)
    named.push_back(std::string(e["member"].get_string().value()) + ":" +
                    std::to_string(e["line"].get_uint64().value()) + ": " +
                    std::string(e["why"].get_string().value()));
  REQUIRE(named.size() == 2);
  CHECK(named[0] == member + ":5: bad timestamp \"garbage\"");
  CHECK(named[1].starts_with(member + ":9: "));
  CHECK(named[1].size() > member.size() + 5);  // a reason follows
  const auto verify_txt = shell("tar -xOf " + b + " verify.txt", &code);
  CHECK_THAT(verify_txt, Catch::Contains(named[0]));
  CHECK_THAT(verify_txt, Catch::Contains(named[1]));

  // verify of the bundle fails and names them, with the cause found when bundling.
  auto v = run({"verify", b});
  INFO(v.out << v.err);
  CHECK(v.code == 1);
  CHECK_THAT(v.err, Catch::Contains(member + ":5: not a record when it was bundled (bad timestamp"));
  CHECK_THAT(v.err, Catch::Contains(member + ":9: not a record when it was bundled"));
  // Once each: the bundle holds no unreadable line for the readers to count a second time.
  CHECK(v.err.find(member + ":5:") == v.err.rfind(member + ":5:"));
  CHECK_THAT(v.err, !Catch::Contains("empty line"));
  // summary lists them under DAMAGE.
  auto s = run({"summary", b});
  INFO(s.out << s.err);
  CHECK(s.code == 0);
  const auto damage = s.out.substr(std::min(s.out.find("DAMAGE"), s.out.size()));
  CHECK_THAT(damage, Catch::Contains(member + ":5: not a record when it was bundled"));
  CHECK_THAT(damage, Catch::Contains(member + ":9: not a record when it was bundled"));
  // Every good line is there.
  auto q = run({"query", b, "-k", "notification", "-o", "jsonl"});
  CHECK(q.code == 0);
  CHECK(q.out == want.out);
}
#endif
