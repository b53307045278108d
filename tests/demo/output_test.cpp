// demo_product --tier tiny: its files are valid JSON lines, every event is accounted for, the
// simulated clock stamps 1 ms per event, and a seed reproduces the files byte for byte.
#include <catch2/catch.hpp>

#include <set>

#include "demo_support.hpp"

using namespace demo_test;

namespace {

constexpr std::int64_t events = 2000;

// One seeded tiny run into its own directory, shared by the checks below.
struct tiny_run {
  temp_dir dir;
  run_result result;
  std::vector<line> lines;

  explicit tiny_run(std::uint64_t seed, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tier",   "tiny",
                                     "--store",  (dir / "store").string(),
                                     "--seed",   std::to_string(seed),
                                     "--events", std::to_string(events)};
    args.insert(args.end(), extra.begin(), extra.end());
    result = run_demo(args, dir.path());
    lines = read_lines(dir / "store");
  }
};

}  // namespace

TEST_CASE("tiny run writes JSON lines that jq reads, each with ts, kind and name", "[demo][tiny]") {
  tiny_run run{7};
  INFO(run.result.err);
  REQUIRE(run.result.exit_code == 0);
  const auto files = jsonl_files(run.dir / "store");
  REQUIRE(!files.empty());
  REQUIRE(files.front().filename() == "demo-00000001.jsonl");

  std::string names;
  for (const auto& f : files) {  // two appends: GCC 12 -O3 has a false -Wrestrict on `" " + x`
    names += ' ';
    names += sh_quote(f.string());
  }
  const auto jq = run_shell("jq -c ." + names, run.dir.path());
  INFO(jq.err);
  CHECK(jq.exit_code == 0);
  const auto all_have = run_shell(
      "jq -e -s 'length > 0 and all(.[]; (.ts|type) == \"string\" and (.kind|type) == "
      "\"string\" and (.name|type) == \"string\")'" +
          names,
      run.dir.path());
  CHECK(all_have.exit_code == 0);
  CHECK(all_have.out == "true\n");

  for (const auto& l : run.lines) {
    INFO(l.file << ":" << l.line_no << ": " << l.raw);
    CHECK(!l.ts.empty());
    CHECK(!l.kind.empty());
    CHECK(!l.name.empty());
    CHECK(l.instance == "demo");
  }
}

TEST_CASE("every event is accounted for: product records plus the header and state tables",
          "[demo][tiny]") {
  tiny_run run{7};
  INFO(run.result.err);
  REQUIRE(run.result.exit_code == 0);
  const std::string& s = run.result.err;

  // The summary: every recording call is an event; tiny keeps states and notifications and
  // compiles the metric and struct calls out (they still take their 1 ms of simulated time).
  const auto state = summary_value(s, "state"), notification = summary_value(s, "notification"),
             metric = summary_value(s, "metric"), record = summary_value(s, "record");
  CHECK(summary_value(s, "events").n == events);
  CHECK(state.n > 0);
  CHECK(notification.n > 0);
  CHECK(metric.n > 0);
  CHECK(record.n > 0);
  CHECK(!state.compiled_out);
  CHECK(!notification.compiled_out);
  CHECK(metric.compiled_out);
  CHECK(record.compiled_out);
  CHECK(state.n + notification.n + metric.n + record.n == events);
  CHECK(summary_text(s, "store") == (run.dir / "store").string());

  // The files: what the tiny engine (engine/sync_engine.hpp) writes for one flush-free run
  // that fits one file: a header line `introspect.file`, the state table as the file's
  // preamble, the records, then the state table again at the demo's flush() and once more at
  // the engine's flush when the process exits: 1 + 3*K lines besides the records.
  REQUIRE(jsonl_files(run.dir / "store").size() == 1);
  std::int64_t states = 0, notifications = 0, meta = 0, table = 0, other = 0;
  std::set<std::string> keys;
  for (const auto& l : run.lines) {
    if (l.product() && l.kind == "state") {
      ++states;
      keys.insert(l.name);
    } else if (l.product() && l.kind == "notification") {
      ++notifications;
    } else if (l.kind == "meta") {
      ++meta;
    } else if (l.table && l.kind == "state") {
      ++table;
    } else {
      ++other;
    }
  }
  const auto k = static_cast<std::int64_t>(keys.size());
  CHECK(states == state.n);
  CHECK(notifications == notification.n);
  CHECK(other == 0);
  CHECK(meta == 1);
  CHECK(table == 3 * k);
  CHECK(static_cast<std::int64_t>(run.lines.size()) == state.n + notification.n + 1 + 3 * k);

  // The header comes first and announces the table that follows it.
  REQUIRE(!run.lines.empty());
  CHECK(run.lines.front().name == "introspect.file");
  CHECK(run.lines.front().field("state_keys") == std::to_string(k));
  // Each table block is the complete key set.
  std::set<std::string> first_table;
  for (std::size_t i = 1; i <= static_cast<std::size_t>(k) && i < run.lines.size(); ++i)
    first_table.insert(run.lines[i].name);
  CHECK(first_table == keys);
}

TEST_CASE("records follow the simulated clock: 1 ms per event from 2026-01-01T00:00:00Z",
          "[demo][tiny]") {
  tiny_run run{7};
  REQUIRE(run.result.exit_code == 0);
  std::vector<const line*> product;
  for (const auto& l : run.lines) {
    INFO(l.raw);
    REQUIRE(l.ts_ns >= epoch_ns);
    CHECK(l.ts_ns < epoch_ns + events * ms);  // the header and tables too: nothing after the run
    if (l.product()) product.push_back(&l);
  }
  REQUIRE(!product.empty());
  CHECK(product.front()->ts == "2026-01-01T00:00:00.000000000Z");
  for (std::size_t i = 1; i < product.size(); ++i) {
    INFO(product[i]->raw);
    CHECK(product[i]->ts_ns > product[i - 1]->ts_ns);  // one event, one millisecond
    CHECK((product[i]->ts_ns - epoch_ns) % ms == 0);
  }
}

TEST_CASE("the same seed gives byte-identical files, another seed different ones", "[demo][tiny]") {
  tiny_run a{7}, b{7}, c{8};
  REQUIRE(a.result.exit_code == 0);
  REQUIRE(b.result.exit_code == 0);
  REQUIRE(c.result.exit_code == 0);
  const auto fa = jsonl_files(a.dir / "store"), fb = jsonl_files(b.dir / "store"),
             fc = jsonl_files(c.dir / "store");
  REQUIRE(fa.size() == fb.size());
  REQUIRE(!fa.empty());
  for (std::size_t i = 0; i < fa.size(); ++i) {
    CHECK(fa[i].filename() == fb[i].filename());
    CHECK(read_file(fa[i]) == read_file(fb[i]));
  }
  std::string all_a, all_c;
  for (const auto& f : fa) all_a += read_file(f);
  for (const auto& f : fc) all_c += read_file(f);
  CHECK(all_a != all_c);
  // Not only the values: the seed changes what happens when.
  std::vector<std::string> names_a, names_c;
  for (const auto& l : a.lines)
    if (l.product()) names_a.push_back(l.ts + l.name + l.value);
  for (const auto& l : c.lines)
    if (l.product()) names_c.push_back(l.ts + l.name + l.value);
  CHECK(names_a != names_c);
}

TEST_CASE("the instance option names the files and the records", "[demo][tiny]") {
  tiny_run run{7, {"--instance", "node-7"}};
  REQUIRE(run.result.exit_code == 0);
  const auto files = jsonl_files(run.dir / "store");
  REQUIRE(files.size() == 1);
  CHECK(files.front().filename() == "node-7-00000001.jsonl");
  for (const auto& l : run.lines) CHECK(l.instance == "node-7");
}

TEST_CASE("a run with a duration uses the real clock for about that long", "[demo][tiny]") {
  temp_dir dir;
  const auto before = introspect::realtime_ns();
  const auto r = run_demo(
      {"--tier", "tiny", "--store", (dir / "store").string(), "--seed", "3", "--duration", "400ms"},
      dir.path());
  const auto after = introspect::realtime_ns();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(summary_text(r.err, "clock") == "real");
  CHECK(after - before >= 400 * ms);
  const auto lines = read_lines(dir / "store");
  REQUIRE(!lines.empty());
  for (const auto& l : lines) {
    INFO(l.raw);
    CHECK(l.ts_ns >= before);
    CHECK(l.ts_ns <= after);
  }
  // Paced at about one event per millisecond, not as fast as it can go.
  const auto n = summary_value(r.err, "events").n;
  CHECK(n > 0);
  CHECK(n <= (after - before) / ms + 16);
}

TEST_CASE("an unwritable store is reported once, the run completes and exits 1", "[demo][tiny]") {
  temp_dir dir;
  {
    std::ofstream f(dir / "file");
    f << "not a directory\n";
  }
  const auto store = (dir / "file" / "store").string();  // ENOTDIR, even for root
  const auto r =
      run_demo({"--tier", "tiny", "--store", store, "--seed", "7", "--events", "2000"}, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(summary_value(r.err, "events").n == events);  // the product kept running
  CHECK(summary_value(r.err, "write_errors").n >= 1);
  std::size_t reports = 0;
  for (std::size_t p = 0; (p = r.err.find("cannot write", p)) != std::string::npos; ++p) ++reports;
  CHECK(reports == 1);
}
