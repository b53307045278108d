// The support engineer's CLI habits (issue 14), through build/bin/introspect as a child process:
// options and STOREs in any order, times relative to the store's last record and the forms
// journalctl takes, -n/-o/--no-headers/--limit/-r/-p, unknown commands, --where limits,
// permission errors, insights without noise, and output that a terminal or spreadsheet cannot
// be tricked by.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include <introspect/format/rfc3339.hpp>
#include <introspect/introspect.hpp>

#include "../cli/harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace cli_test;

namespace {

constexpr std::int64_t t0 = 1'767'225'600'000'000'000LL;  // 2026-01-01T00:00:00Z
std::atomic<std::int64_t> fake_now{t0};
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000'000); }  // 1 s apart

// A small-tier stream store: n notifications (every 10th an error) and n state changes, 1 s
// apart from 2026-01-01T00:00:00Z, far in the past of the wall clock (a copied store).
void write_small(const fs::path& dir, int n) {
  fake_now = t0;
  ix::config c;
  c.store = dir;
  c.instance = "node-1";
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

const fs::path& small_store() {
  static temp_dir d("ix-support-small");
  static const bool made = [] {
    write_small(d.path() / "s", 600);
    return true;
  }();
  (void)made;
  static const fs::path p = d.path() / "s";
  return p;
}

result ok(const std::vector<std::string>& args, int want = 0) {
  auto r = run(args);
  INFO(r.err);
  REQUIRE(r.code == want);
  return r;
}

std::vector<std::int64_t> times_of(const std::string& jsonl) {
  std::vector<std::int64_t> ts;
  for (const auto& l : lines_of(jsonl)) {
    const auto p = l.find("\"ts\":\"");
    REQUIRE(p != std::string::npos);
    ts.push_back(ix::parse_rfc3339(l.substr(p + 6, 30)).value());
  }
  return ts;
}

}  // namespace

TEST_CASE("options and STOREs go in any order; list options take commas or repeats",
          "[cli][support]") {
  const auto s = small_store().string();
  const auto base = ok({"query", s, "-k", "notification", "-o", "json"}).out;
  REQUIRE(lines_of(base).size() == 600);
  CHECK(ok({"query", "-k", "notification", s, "-o", "json"}).out == base);
  CHECK(ok({"query", "--kind=notification", s, "--format", "json"}).out == base);
  CHECK(ok({"query", "-o", "json", "-n", "disk*", s, "-k", "notification"}).out == base);
  const auto both = ok({"query", "-k", "notification,state", s, "-o", "json"}).out;
  CHECK(lines_of(both).size() == 1200);
  CHECK(ok({"query", "-k", "notification", "-k", "state", s, "-o", "json"}).out == both);
}

TEST_CASE("relative times count back from the store's last record", "[cli][support]") {
  const auto s = small_store().string();
  const auto all = times_of(ok({"query", s, "-k", "notification", "-o", "json"}).out);
  // The store's first and last records, of any kind (meta records and table lines included).
  // The first is not always t0: the writer's thread reads the same clock, and may read it first.
  auto edge = [&](bool reverse) {
    std::vector<std::string> args{"query",   s,         "-k", "state,metric,notification,meta",
                                  "--table", "--limit", "1",  "-o",
                                  "json"};
    if (reverse) args.push_back("-r");
    return times_of(ok(args).out).at(0);
  };
  const auto first = edge(false);
  const auto last = edge(true);
  REQUIRE(first <= all.front());
  REQUIRE(last >= all.back());
  long want = 0;
  for (auto t : all) want += t >= last - 60'000'000'000LL;
  REQUIRE(want > 0);
  REQUIRE(want < static_cast<long>(all.size()));
  const auto recent = ok({"query", s, "-k", "notification", "--since", "1m", "-o", "json"}).out;
  CHECK(static_cast<long>(lines_of(recent).size()) == want);
  CHECK(ok({"query", s, "-k", "notification", "--since", "-1m", "-o", "json"}).out == recent);
  // Live use counts from now: nothing, and stderr says where the records are.
  auto live = run({"query", s, "-k", "notification", "--since", "1m", "--since-now"});
  INFO(live.err);
  CHECK(live.code == 1);
  CHECK(live.err.find("the store's records run from " + ix::format_rfc3339(first) + " to " +
                      ix::format_rfc3339(last)) != std::string::npos);
  CHECK(first >= t0);
  CHECK(first < t0 + 10'000'000'000LL);
  // journalctl's forms: @EPOCH, a local time without zone (TZ), today and yesterday.
  const auto since = ix::format_rfc3339(all[100]);
  const auto by_rfc = ok({"query", s, "-k", "notification", "--since", since, "-o", "json"}).out;
  CHECK(lines_of(by_rfc).size() == all.size() - 100);
  const auto epoch = "@" + std::to_string(all[100] / 1'000'000'000);
  CHECK(ok({"query", s, "-k", "notification", "--since", epoch, "-o", "json"}).out == by_rfc);
  run_options tokyo;
  tokyo.env = {{"TZ", "Asia/Tokyo"}};  // UTC+9, no daylight saving
  auto local = since.substr(0, 19);
  local[10] = ' ';
  local.replace(11, 2, fmt::format("{:02}", (std::stoi(since.substr(11, 2)) + 9) % 24));
  auto r = run({"query", s, "-k", "notification", "--since", local, "-o", "json"}, tokyo);
  CHECK(r.code == 0);
  CHECK(r.out == by_rfc);
  auto utc = since.substr(0, 19);
  CHECK(ok({"query", s, "-k", "notification", "--utc", "--since", utc, "-o", "json"}).out ==
        by_rfc);
  CHECK(lines_of(
            ok({"query", s, "-k", "notification", "--utc", "--since", "today", "-o", "json"}).out)
            .size() == all.size());
  auto none = run({"query", s, "-k", "notification", "--utc", "--until", "yesterday"});
  CHECK(none.code == 1);
  CHECK(none.err.find("run from") != std::string::npos);
  auto bad = run({"query", s, "--since", "15 parsecs"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--since \"15 parsecs\"") != std::string::npos);
}

TEST_CASE("journalctl and kubectl habits: -n, -o, --no-headers, --limit, -r, -p",
          "[cli][support]") {
  const auto s = small_store().string();
  auto t = ok({"tail", s, "-n", "3", "-k", "notification"});
  CHECK(lines_of(t.out).size() == 4);  // header + 3
  CHECK(lines_of(ok({"tail", s, "-n", "3", "--no-headers"}).out).size() == 3);
  CHECK(lines_of(ok({"tail", "-o", "json", s, "-n", "5"}).out).size() == 5);
  const auto all = times_of(ok({"query", s, "-k", "notification", "-o", "json"}).out);
  const auto lim =
      times_of(ok({"query", s, "-k", "notification", "--limit", "7", "-o", "json"}).out);
  REQUIRE(lim.size() == 7);
  CHECK(lim.front() == all.front());
  const auto rev =
      times_of(ok({"query", s, "-k", "notification", "-r", "--limit", "7", "-o", "json"}).out);
  REQUIRE(rev.size() == 7);
  CHECK(rev.front() == all.back());
  CHECK(std::is_sorted(rev.rbegin(), rev.rend()));
  const auto errs = ok({"query", s, "-p", "err", "-o", "json"}).out;
  CHECK(lines_of(errs).size() == 60);
  for (const auto& l : lines_of(errs)) CHECK(l.find("\"severity\":\"error\"") != std::string::npos);
  auto csv = ok({"query", s, "-k", "state", "-o", "csv", "--no-headers", "--limit", "2"});
  CHECK(lines_of(csv.out).size() == 2);
  CHECK(csv.out.find("ts,kind") == std::string::npos);
  // Not a terminal: no colour, no cut, RFC 3339 times.
  CHECK(t.out.find('\033') == std::string::npos);
  CHECK(t.out.find("2026-01-01T00:") != std::string::npos);
}

TEST_CASE("unknown command names itself and lists the commands", "[cli][support]") {
  auto r = run({"foo", "STORE"});
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown command \"foo\"") != std::string::npos);
  for (auto c : {"query", "tail", "streams", "insights", "verify", "sql"})
    CHECK(r.err.find(std::string("  ") + c) != std::string::npos);
}

TEST_CASE("--where: depth and length are limited, huge numbers do not invert ts",
          "[cli][support]") {
  const auto s = small_store().string();
  auto deep = run({"query", s, "--where", std::string(20000, '(')});
  CHECK(deep.code == 2);
  CHECK(deep.err.find("--where") != std::string::npos);
  auto nested =
      run({"query", s, "--where", std::string(300, '(') + "value" + std::string(300, ')')});
  CHECK(nested.code == 2);
  CHECK(nested.err.find("nested deeper than") != std::string::npos);
  auto nots = std::string();
  for (int i = 0; i < 1000; ++i) nots += "not ";
  CHECK(run({"query", s, "--where", nots + "value"}).code == 2);
  CHECK(run({"query", s, "-k", "notification", "--where", "ts > 1e30"}).code == 1);
  CHECK(lines_of(ok({"query", s, "-k", "notification", "--where", "ts < 1e30", "-o", "json"}).out)
            .size() == 600);
  CHECK(lines_of(ok({"query", s, "-k", "notification", "--where", "ts > -1e30", "-o", "json"}).out)
            .size() == 600);
}

TEST_CASE("an unreadable store or file says permission denied with its path", "[cli][support]") {
  temp_dir d("ix-support-perm");
  const auto store = d.path() / "s";
  write_small(store, 20);
  const auto jl = d.path() / "jl";
  fs::create_directories(jl);
  std::ofstream(jl / "n1-00000001.jsonl")
      << "{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"notification\",\"name\":\"a\"}\n";
  std::ofstream(jl / "n2-00000001.jsonl")
      << "{\"ts\":\"2026-01-01T00:00:01Z\",\"kind\":\"notification\",\"name\":\"b\"}\n";
  // Root reads anything: run the CLI as nobody, with the tree readable but for what is denied.
  run_options as;
  if (::geteuid() == 0) as.uid = as.gid = 65534;
  fs::permissions(d.path(), fs::perms::all);
  shell("chmod -R a+rX " + d.path().string());
  ::chmod(store.c_str(), 0700);
  if (::geteuid() != 0) ::chmod(store.c_str(), 0);
  auto r = run({"query", store.string()}, as);
  CHECK(r.code == 2);
  CHECK(r.err.find("permission denied: " + store.string()) != std::string::npos);
  CHECK(r.err.find("Permission denied") != std::string::npos);
  // One file of a JSON-lines store: the rest is read, the skip is said on stderr.
  ::chmod((jl / "n2-00000001.jsonl").c_str(), ::geteuid() == 0 ? 0600 : 0);
  auto q = run({"query", jl.string(), "-o", "json"}, as);
  CHECK(q.code == 0);
  CHECK(lines_of(q.out).size() == 1);
  CHECK(q.err.find("n2-00000001.jsonl") != std::string::npos);
  CHECK(q.err.find("permission denied") != std::string::npos);
  CHECK(q.err.find("skipped 1") != std::string::npos);
  ::chmod(store.c_str(), 0755);
}

TEST_CASE("table output neutralises C1 controls; csv cells cannot become formulas",
          "[cli][support]") {
  temp_dir d("ix-support-out");
  std::ofstream(d.path() / "n1-00000001.jsonl")
      << "{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"notification\",\"instance\":\"n1\","
         "\"name\":\"=HYPERLINK(\\\"http://x\\\")\",\"severity\":\"error\","
         "\"fields\":{\"k\":\"\\u009b2J\"}}\n"
      << "{\"ts\":\"2026-01-01T00:00:01Z\",\"kind\":\"state\",\"instance\":\"n1\","
         "\"name\":\"@SUM(A1)\",\"value\":\"-2+3\"}\n";
  auto t = ok({"query", d.path().string()});
  CHECK(t.out.find("\xc2\x9b") == std::string::npos);
  CHECK(t.out.find("\\u009b2J") != std::string::npos);
  auto c = ok({"query", d.path().string(), "-o", "csv"});
  CHECK(c.out.find(",\"'=HYPERLINK(\"\"http://x\"\")\",") != std::string::npos);
  CHECK(c.out.find(",\"'@SUM(A1)\",") != std::string::npos);
  CHECK(c.out.find(",\"'-2+3\",") != std::string::npos);
  auto raw = ok({"query", d.path().string(), "-o", "csv", "--csv-raw"});
  CHECK(raw.out.find(",@SUM(A1),") != std::string::npos);
}

TEST_CASE("a line longer than the limit is skipped and reported, not buffered", "[cli][support]") {
  temp_dir d("ix-support-long");
  {
    std::ofstream f(d.path() / "n1-00000001.jsonl", std::ios::binary);
    f << "{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"notification\",\"name\":\"before\"}\n";
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 20; ++i) f << chunk;  // 20 MiB without a newline
    f << "\n{\"ts\":\"2026-01-01T00:00:02Z\",\"kind\":\"notification\",\"name\":\"after\"}\n";
  }
  auto r = run({"query", d.path().string(), "-o", "json"});
  CHECK(r.code == 0);
  CHECK(lines_of(r.out).size() == 2);
  CHECK(r.err.find("n1-00000001.jsonl:2:") != std::string::npos);
  CHECK(r.err.find("longer than the") != std::string::npos);
}

TEST_CASE("insights: quiet on a healthy store, one line per episode otherwise", "[cli][support]") {
  const auto s = small_store().string();
  // The small store has error notifications but no burst: nothing to say but "no insights".
  auto r = run({"insights", s});
  CHECK(r.code == 1);
  CHECK(r.err.empty());
  CHECK(r.out.find("no insights: ") != std::string::npos);
  CHECK(r.out.find(" rules over ") != std::string::npos);
}

TEST_CASE("two stores holding one instance name stay apart", "[cli][support]") {
  temp_dir d("ix-support-two");
  fs::copy(small_store(), d.path() / "a", fs::copy_options::recursive);
  fs::copy(small_store(), d.path() / "b", fs::copy_options::recursive);
  const auto a = (d.path() / "a").string(), b = (d.path() / "b").string();
  const auto rows = lines_of(
      ok({"query", a, b, "-k", "notification", "--agg", "count", "--by", "instance", "-o", "json"})
          .out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].find("\"instance\":\"node-1@" + a + "\"") != std::string::npos);
  CHECK(rows[1].find("\"instance\":\"node-1@" + b + "\"") != std::string::npos);
  for (const auto& r : rows) CHECK(r.find("\"count\":600") != std::string::npos);
  const auto one = ok({"query", a, "-k", "notification", "--limit", "1", "-o", "json"}).out;
  CHECK(one.find("\"instance\":\"node-1\"") != std::string::npos);  // one store: unchanged
}
