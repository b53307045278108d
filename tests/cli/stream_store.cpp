// The introspect CLI on stream stores (small/medium tiers and the demo product): one logical
// view per instance whatever the mapping, damage, verify, tail --follow, truncate, sql, the
// sqlite and prom exports, and offline insights.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include <introspect/introspect.hpp>

#include "harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace cli_test;

namespace {

const std::string demo_bin = INTROSPECT_TEST_BIN_DIR "/demo_product";

result demo(const std::vector<std::string>& args) {
  auto r = run(args, demo_bin);
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r;
}

constexpr std::int64_t t0 = 1'767'225'600'000'000'000LL;  // 2026-01-01T00:00:00Z
std::atomic<std::int64_t> fake_now{t0};
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000); }

// A small-tier stream store (single stream "all"): n notifications and n state changes, 1 ms
// apart from 2026-01-01T00:00:00Z.
void write_small(const fs::path& dir, const std::string& instance, int n) {
  fake_now = t0;
  ix::config c;
  c.store = dir;
  c.instance = instance;
  c.clock = &fake_clock;
  // Written back to back, the records are one burst: the queue must hold it whole
  // (docs/policies.md, "Sizing config::queue_slots"; the small tier's own 1 024 would drop).
  c.queue_slots = 8192;
  ix::introspection<ix::tier::small> ins{c};
  for (int i = 0; i < n; ++i) {
    ins.state("container/" + std::to_string(i % 3), i % 2 ? "UP" : "RECOVERING");
    ins.notify(i % 10 == 0 ? ix::severity::error : ix::severity::warning, "disk nearly full",
               {{"disk", i % 2 ? "sdb" : "sda"}, {"i", i}});
  }
  ins.flush();
}

std::size_t count_lines(const std::string& s) { return lines_of(s).size(); }

// The segment files of a stream, in offset order.
std::vector<fs::path> segments(const fs::path& stream_dir) {
  std::vector<fs::path> v;
  for (auto& e : fs::directory_iterator(stream_dir))
    if (e.path().extension() == ".log") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

void flip_byte(const fs::path& file, std::uint64_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

}  // namespace

TEST_CASE("one seed as a single stream and as streams per kind queries identically",
          "[cli][store][equivalence]") {
  temp_dir d("ix-cli-equiv");
  const auto single = d.path() / "single", per_kind = d.path() / "per-kind",
             tiny = d.path() / "tiny";
  for (auto [m, p] : {std::pair{"single", single}, std::pair{"per-kind", per_kind}})
    demo({"--tier", "medium", "--mapping", m, "--store", p.string(), "--seed", "7", "--events",
          "20000"});
  demo({"--tier", "tiny", "--store", tiny.string(), "--seed", "7", "--events", "20000"});
  REQUIRE(fs::exists(single / "demo" / "all"));
  REQUIRE(fs::exists(per_kind / "demo" / "metric"));
  REQUIRE_FALSE(fs::exists(per_kind / "demo" / "all"));

  // What the product recorded as events — state changes, the periodic state table and
  // notifications — reads byte-identically under both mappings. Metric records are left out of
  // the byte comparison: they are snapshots of a live registry taken by the collector thread at
  // each tick, so their values (and which tick a value lands on) depend on thread scheduling;
  // two runs with the *same* mapping differ there too. tests/query/stream_store.cpp proves the
  // reader's equivalence on identical records of every kind written in both layouts.
  auto a = run(
      {"query", single.string(), "--kind", "state,notification", "--table", "--format", "jsonl"});
  auto b = run(
      {"query", per_kind.string(), "--kind", "state,notification", "--table", "--format", "jsonl"});
  CHECK(a.code == 0);
  CHECK(a.err.empty());  // no damage, and no progress line: stderr is not a terminal
  CHECK(b.err.empty());
  CHECK(count_lines(a.out) > 100);
  CHECK(a.out == b.out);
  for (const char* k : {"state", "notification"}) {
    auto x = run({"query", single.string(), "--kind", k, "--format", "csv"});
    auto y = run({"query", per_kind.string(), "--kind", k, "--format", "csv"});
    INFO(k);
    CHECK(x.code == 0);
    CHECK(x.out == y.out);
  }
  auto ax = run({"query", single.string(), "--kind", "state", "--agg", "count", "--by", "name",
                 "--every", "5s", "--format", "csv"});
  auto ay = run({"query", per_kind.string(), "--kind", "state", "--agg", "count", "--by", "name",
                 "--every", "5s", "--format", "csv"});
  CHECK(ax.code == 0);
  CHECK(ax.out == ay.out);
  // The default view (every kind but meta) holds the metrics of both, in time order.
  for (const auto& p : {single, per_kind}) {
    auto m = run({"query", p.string(), "--kind", "metric", "--agg", "count", "--by", "source",
                  "--format", "csv"});
    CHECK(m.code == 0);
    CHECK_THAT(m.out, Catch::Contains("product,"));
    CHECK_THAT(m.out, Catch::Contains("process,"));
  }

  // The tiny tier records notifications (and state) the same way: notifications are identical.
  auto tn = run({"query", tiny.string(), "--kind", "notification", "--format", "jsonl"});
  auto sn = run({"query", single.string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(tn.code == 0);
  CHECK(count_lines(tn.out) > 5);
  CHECK(tn.out == sn.out);

  // streams: one row per stream; verify is clean on both.
  auto sa = run({"streams", single.string(), "--format", "jsonl"});
  auto sb = run({"streams", per_kind.string(), "--format", "jsonl"});
  CHECK(sa.code == 0);
  CHECK(count_lines(sa.out) == 1);
  CHECK_THAT(sa.out, Catch::Contains("\"stream\":\"all\""));
  CHECK(count_lines(sb.out) >= 3);
  CHECK_THAT(sb.out, Catch::Contains("\"stream\":\"metric\""));
  for (const auto& p : {single, per_kind}) {
    auto v = run({"verify", p.string()});
    INFO(v.err);
    CHECK(v.code == 0);
    CHECK_THAT(v.out, Catch::Contains(" 0 damaged"));
  }
  // Two stores given together merge: twice the records, in time order.
  auto both = run(
      {"query", single.string(), per_kind.string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(count_lines(both.out) == 2 * count_lines(sn.out));
}

TEST_CASE(
    "damaged frames are reported as path@offset and skipped; streams of other kinds are "
    "not opened",
    "[cli][store][damage]") {
  temp_dir d("ix-cli-damage");
  const auto s = d.path() / "s";
  demo({"--tier", "medium", "--mapping", "per-kind", "--store", s.string(), "--seed", "7",
        "--events", "20000"});
  // The state stream: under close_seal_bytes its segment stays the raw frame log, where one
  // flipped byte costs one frame (the metric stream's is compressed at close: a flip there
  // costs its whole block, which compressed_segment_test covers).
  auto before = run({"query", s.string(), "--kind", "state", "--format", "jsonl"});
  REQUIRE(before.code == 0);
  const auto segs = segments(s / "demo" / "state");
  REQUIRE_FALSE(segs.empty());
  REQUIRE(fs::file_size(segs.front()) > 4096);
  flip_byte(segs.front(), 2000);

  auto after = run({"query", s.string(), "--kind", "state", "--format", "jsonl"});
  CHECK(after.code == 0);  // damage alone never fails a query
  CHECK_THAT(after.err, Catch::Contains(segs.front().string() + "@"));
  CHECK(count_lines(after.out) < count_lines(before.out));
  CHECK(count_lines(after.out) > count_lines(before.out) / 2);
  // A query of notifications does not open the state stream: no damage reported.
  auto notes = run({"query", s.string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(notes.code == 0);
  CHECK(notes.err.empty());

  auto v = run({"verify", s.string()});
  CHECK(v.code == 1);
  CHECK_THAT(v.err, Catch::Contains(segs.front().string() + "@"));
  CHECK_THAT(v.out, Catch::Contains("damaged"));

  // A foreign file is reported and ignored; alone it is no damage.
  temp_dir c("ix-cli-foreign");
  write_small(c.path(), "n1", 50);
  std::ofstream(c.path() / "n1" / "all" / "notes.txt") << "hello";
  auto vf = run({"verify", c.path().string()});
  CHECK(vf.code == 0);
  CHECK_THAT(vf.err, Catch::Contains("notes.txt: foreign"));
  auto q = run({"query", c.path().string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(count_lines(q.out) == 50);
}

TEST_CASE("tail --follow on a stream store prints records a live writer appends",
          "[cli][store][tail]") {
  temp_dir d("ix-cli-follow");
  ix::config c;
  c.store = d.path();
  c.instance = "live";
  ix::introspection<ix::tier::small> ins{c};
  ins.notify(ix::severity::info, "before", {{"n", 0}});
  ins.flush();
  temp_dir io("ix-cli-follow-io");
  const auto out = io.path() / "out";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fo, 1);
    ::execl(bin.c_str(), bin.c_str(), "tail", d.path().c_str(), "--follow", "--kind",
            "notification", "--format", "jsonl", "--timeout", "20s", nullptr);
    ::_exit(127);
  }
  auto wait_for = [&](const std::string& text) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      if (slurp(out).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  CHECK(wait_for("\"before\""));
  const auto t = std::chrono::steady_clock::now();
  ins.notify(ix::severity::warning, "appended", {{"n", 1}});
  ins.flush();
  CHECK(wait_for("\"appended\""));
  CHECK(std::chrono::steady_clock::now() - t < std::chrono::seconds(1));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(count_lines(slurp(out)) == 2);
}

TEST_CASE("truncate hides a stream's records before a time; a live writer's lock refuses it",
          "[cli][store][truncate]") {
  temp_dir d("ix-cli-truncate");
  write_small(d.path(), "n1", 1000);  // records 1 ms apart from t0: 2000 records over 2 s
  auto all = run({"query", d.path().string(), "--kind", "notification", "--format", "jsonl"});
  REQUIRE(count_lines(all.out) == 1000);
  auto tr =
      run({"truncate", d.path().string(), "--stream", "all", "--before", "2026-01-01T00:00:01Z"});
  INFO(tr.err);
  CHECK(tr.code == 0);
  auto after = run({"query", d.path().string(), "--kind", "notification", "--format", "jsonl"});
  CHECK(after.code == 0);
  const auto n = count_lines(after.out);
  CHECK(n > 400);
  CHECK(n < 600);
  auto early =
      run({"query", d.path().string(), "--until", "2026-01-01T00:00:01Z", "--format", "jsonl"});
  CHECK(early.code == 1);  // nothing before the cut any more
  CHECK(early.out.empty());

  // Bad arguments name themselves.
  auto no_stream = run({"truncate", d.path().string(), "--stream", "nosuch", "--before", "1h"});
  CHECK(no_stream.code == 2);
  CHECK_THAT(no_stream.err, Catch::Contains("--stream \"nosuch\""));
  auto bad_time =
      run({"truncate", d.path().string(), "--stream", "all", "--before", "the day before"});
  CHECK(bad_time.code == 2);
  CHECK_THAT(bad_time.err, Catch::Contains("--before \"the day before\""));
  write_small(d.path(), "n2", 10);
  auto which = run({"truncate", d.path().string(), "--stream", "all", "--before", "1h"});
  CHECK(which.code == 2);
  CHECK_THAT(which.err, Catch::Contains("--scope"));

  // A live writer holds the scope: exit 1 naming its pid.
  ix::config c;
  c.store = d.path();
  c.instance = "n2";
  ix::introspection<ix::tier::small> live{c};
  live.notify(ix::severity::info, "live", {});
  live.flush();
  auto locked =
      run({"truncate", d.path().string(), "--scope", "n2", "--stream", "all", "--before", "1h"});
  CHECK(locked.code == 1);
  CHECK_THAT(locked.err, Catch::Contains("pid " + std::to_string(::getpid())));
}

TEST_CASE("sql agrees with query on counts and aggregates; bad SQL exits 2", "[cli][store][sql]") {
  temp_dir d("ix-cli-sql");
  demo({"--tier", "medium", "--mapping", "per-kind", "--store", d.path().string(), "--seed", "7",
        "--events", "20000"});
  const auto s = d.path().string();
  auto qn = run({"query", s, "--kind", "notification", "--agg", "count", "--format", "csv"});
  auto sn = run({"sql", s, "SELECT count(*) AS n FROM notification", "--format", "csv"});
  CHECK(sn.code == 0);
  const auto ql = lines_of(qn.out), sl = lines_of(sn.out);
  REQUIRE(ql.size() == 2);
  REQUIRE(sl.size() == 2);
  CHECK(std::stol(ql[1]) == std::stol(sl[1]));
  CHECK(std::stol(sl[1]) > 5);
  // avg of each gauge and counter: query --agg avg --by name and GROUP BY name (a histogram's
  // avg is its interval mean, from successive snapshots: not avg(value), docs/cli.md).
  auto qa = run({"query", s, "--kind", "metric", "--where", "type != histogram", "--agg", "avg",
                 "--by", "name", "--format", "jsonl"});
  auto sa = run({"sql", s,
                 "SELECT name, avg(value) AS avg, count(*) AS records FROM metric "
                 "WHERE type != 'histogram' GROUP BY name ORDER BY name",
                 "--format", "jsonl"});
  CHECK(sa.code == 0);
  const auto qr = lines_of(qa.out), sr = lines_of(sa.out);
  REQUIRE(qr.size() == sr.size());
  REQUIRE(qr.size() > 3);
  simdjson::dom::parser p1, p2;
  for (std::size_t i = 0; i < qr.size(); ++i) {
    auto x = p1.parse(qr[i]).value();
    auto y = p2.parse(sr[i]).value();
    CHECK(std::string_view(x["name"]) == std::string_view(y["name"]));
    CHECK(std::int64_t(x["records"]) == std::int64_t(y["records"]));
    if (x["avg"].is_double() || x["avg"].is_int64()) {
      const double qa_v = double(x["avg"]), sa_v = double(y["avg"]);
      CHECK(qa_v == Approx(sa_v).epsilon(1e-9));
    }
  }
  auto bad = run({"sql", s, "SELECT nope FROM metric"});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("no such column: nope"));
}

TEST_CASE("export sqlite gives a file sqlite3 opens; export prom passes promtool",
          "[cli][store][export]") {
  temp_dir d("ix-cli-export");
  const auto s = (d.path() / "s").string();
  demo({"--tier", "medium", "--mapping", "per-kind", "--store", s, "--seed", "7", "--events",
        "20000"});
  const auto db = (d.path() / "x.sqlite").string();
  auto e = run({"export", s, "--format", "sqlite", "-o", db});
  INFO(e.err);
  CHECK(e.code == 0);
  int code = -1;
  auto n = shell("sqlite3 " + db + " 'SELECT count(*) FROM notification'", &code);
  CHECK(code == 0);
  auto q = run({"query", s, "--kind", "notification", "--agg", "count", "--format", "csv"});
  CHECK(std::stol(n) == std::stol(lines_of(q.out)[1]));
  auto idx = shell("sqlite3 " + db + " .indexes", &code);
  CHECK_THAT(idx, Catch::Contains("metric_ts"));
  CHECK_THAT(idx, Catch::Contains("metric_name"));

  const auto prom = (d.path() / "x.prom").string();
  auto ep = run({"export", s, "--format", "prom", "-o", prom});
  CHECK(ep.code == 0);
  const auto text = slurp(prom);
  CHECK_THAT(text, Catch::Contains("# TYPE"));
  auto check = shell("promtool check metrics < " + prom + " 2>&1", &code);
  INFO(check);
  CHECK(code == 0);
}

TEST_CASE("insights finds an injected container flap and nothing in a healthy run",
          "[cli][store][insights]") {
  temp_dir d("ix-cli-insights");
  const auto flap = (d.path() / "flap").string(), healthy = (d.path() / "healthy").string();
  demo({"--tier", "medium", "--store", flap, "--seed", "3", "--events", "60000", "--scenario",
        "container-flap"});
  demo({"--tier", "medium", "--store", healthy, "--seed", "3", "--events", "60000", "--scenario",
        "healthy"});
  auto f = run({"insights", flap, "--format", "jsonl"});
  INFO(f.err);
  CHECK(f.code == 0);
  CHECK(count_lines(f.out) >= 1);
  CHECK_THAT(f.out, Catch::Contains("flap"));
  CHECK_THAT(f.out, Catch::Contains("container/3"));
  auto h = run({"insights", healthy, "--format", "jsonl"});
  CHECK(h.code == 1);
  CHECK(h.out.empty());

  // A bad rules file names the JSON path of the mistake.
  const auto rules = d.path() / "rules.json";
  std::ofstream(rules) << R"({"rules":[{"type":"no_such_rule","name":"x"}]})";
  auto bad = run({"insights", flap, "--rules", rules.string()});
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("rules[0]"));
}
