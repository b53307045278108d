// Cumulative metrics through build/bin/introspect (issue 14): counters and histogram snapshots
// hold totals since process start, so rate, increase and interval percentiles come from
// successive samples (PromQL's rate/increase/histogram_quantile), on a demo store with the
// latency-spike scenario and on hand-made stores (a counter reset, snapshots without buckets).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <introspect/format/rfc3339.hpp>

#include "../cli/harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace cli_test;

namespace {

const std::string demo_bin = INTROSPECT_TEST_BIN_DIR "/demo_product";
constexpr std::int64_t run_ms = 300'000;  // the demo's run: 300 000 events, 1 ms each

// A large-tier demo store (histograms) with the latency spike at 40%..60% of the run.
const fs::path& spike_store() {
  static temp_dir d("ix-support-spike");
  static const fs::path p = d.path() / "s";
  static const bool made = [] {
    auto r = run({"--tier", "large", "--store", p.string(), "--seed", "5", "--events",
                  std::to_string(run_ms), "--scenario", "latency-spike"},
                 demo_bin);
    INFO(r.err);
    REQUIRE(r.code == 0);
    return true;
  }();
  (void)made;
  return p;
}

result ok(const std::vector<std::string>& args) {
  auto r = run(args);
  INFO(r.err);
  REQUIRE(r.code == 0);
  return r;
}

// A number after `"key":` in a JSON line (the CLI's own output: no nesting surprises).
double number_of(const std::string& line, const std::string& key) {
  const auto p = line.find("\"" + key + "\":");
  REQUIRE(p != std::string::npos);
  return std::stod(line.substr(p + key.size() + 3));
}
std::int64_t ts_of(const std::string& line) {
  const auto p = line.find("\"ts\":\"");
  REQUIRE(p != std::string::npos);
  return ix::parse_rfc3339(line.substr(p + 6, 30)).value();
}

struct sample {
  std::int64_t ts;
  double v;
};

}  // namespace

TEST_CASE("a counter's rate and increase come from successive samples", "[cli][support]") {
  const auto s = spike_store().string();
  std::vector<sample> xs;
  for (const auto& l : lines_of(ok({"query", s, "-n", "controller.requests", "-o", "json"}).out))
    xs.push_back({ts_of(l), number_of(l, "value")});
  REQUIRE(xs.size() > 100);
  for (std::size_t i = 1; i < xs.size(); ++i) REQUIRE(xs[i].v >= xs[i - 1].v);  // no reset
  const double inc = xs.back().v - xs.front().v;
  const double rate = inc / (static_cast<double>(xs.back().ts - xs.front().ts) / 1e9);
  const auto r = ok({"query", s, "-n", "controller.requests", "--agg", "rate", "-o", "json"});
  CHECK(number_of(r.out, "rate") == Approx(rate).epsilon(1e-9));
  const auto i = ok({"query", s, "-n", "controller.requests", "--agg", "increase", "-o", "json"});
  CHECK(number_of(i.out, "increase") == Approx(inc).epsilon(1e-12));
  // Per minute: every bucket near the whole run's rate, not the cumulative value per second.
  const auto every =
      ok({"query", s, "-n", "controller.requests", "--agg", "rate", "--every", "1m", "-o", "json"});
  const auto rows = lines_of(every.out);
  REQUIRE(rows.size() >= 5);
  for (const auto& l : rows) {
    CHECK(number_of(l, "rate") > rate / 2);
    CHECK(number_of(l, "rate") < rate * 2);
  }
}

TEST_CASE("a histogram's interval p99 rises during a latency spike and falls after it",
          "[cli][support]") {
  const auto s = spike_store().string();
  const auto rows = lines_of(ok({"query", s, "-n", "bookkeeper.write.latency_us", "--agg", "p99",
                                 "--every", "30s", "-o", "json"})
                                 .out);
  REQUIRE(rows.size() >= 9);
  const std::int64_t start = ts_of(rows.front());
  double before = 0, during = 1e300, after = 0;
  for (const auto& l : rows) {
    const auto at = (ts_of(l) - start) / 1'000'000;  // ms into the run
    const double p99 = number_of(l, "p99");
    if (at >= 30'000 && at + 30'000 <= run_ms * 40 / 100) before = std::max(before, p99);
    if (at > run_ms * 40 / 100 && at + 30'000 <= run_ms * 60 / 100) during = std::min(during, p99);
    if (at >= run_ms * 60 / 100 + 30'000) after = std::max(after, p99);
  }
  REQUIRE(before > 0);
  REQUIRE(after > 0);
  CHECK(during > 5 * before);
  CHECK(after < 2 * before);
  // The stored p99 is since start: at the end it still shows the spike; the interval does not.
  const auto last = lines_of(
      ok({"query", s, "-n", "bookkeeper.write.latency_us", "-r", "--limit", "1", "-o", "json"})
          .out);
  REQUIRE(last.size() == 1);
  CHECK(number_of(last[0], "p99") > 2 * after);
  // --field aggregates the stored field as a point value.
  const auto f = ok({"query", s, "-n", "bookkeeper.write.latency_us", "--agg", "max", "--field",
                     "p99", "-o", "json"});
  CHECK(number_of(f.out, "max(fields.p99)") >= number_of(last[0], "p99"));
  // The table shows the interval: count, its increase, mean and p99, not the bare count.
  const auto t = ok({"query", s, "-n", "bookkeeper.write.latency_us", "--limit", "5"});
  const auto tl = lines_of(t.out);
  REQUIRE(tl.size() == 6);
  CHECK(tl[1].find("(since start)") != std::string::npos);  // the first snapshot: no interval
  CHECK(tl.back().find(" mean=") != std::string::npos);
  CHECK(tl.back().find(" p99=") != std::string::npos);
  CHECK(tl.back().find("(since start)") == std::string::npos);
}

TEST_CASE("counter resets count from zero; snapshots without buckets say so", "[cli][support]") {
  temp_dir d("ix-support-reset");
  {
    std::ofstream f(d.path() / "n1-00000001.jsonl");
    const double c[] = {0, 10, 20, 5, 15};  // restarted between 20 s and 30 s
    for (int i = 0; i < 5; ++i)
      f << "{\"ts\":\"2026-01-01T00:00:" << (i ? std::to_string(i * 10) : "00")
        << "Z\",\"kind\":\"metric\",\"instance\":\"n1\",\"name\":\"c\",\"type\":\"counter\","
           "\"value\":"
        << c[i] << "}\n";
    // A histogram from an older writer: count and sum, no bucket counts.
    for (int i = 0; i < 3; ++i)
      f << "{\"ts\":\"2026-01-01T00:00:4" << i
        << "Z\",\"kind\":\"metric\",\"instance\":\"n1\",\"name\":\"h\",\"type\":\"histogram\","
           "\"value\":"
        << (i + 1) * 100 << ",\"fields\":{\"count\":" << (i + 1) * 100
        << ",\"sum\":" << (i + 1) * 1000 + i * i * 1000 << ",\"p99\":50}}\n";
  }
  const auto p = d.path().string();
  CHECK(number_of(ok({"query", p, "-n", "c", "--agg", "increase", "-o", "json"}).out,
                  "increase") == 35);  // 10 + 10 + 5 (after the reset) + 10
  CHECK(number_of(ok({"query", p, "-n", "c", "--agg", "rate", "-o", "json"}).out, "rate") ==
        Approx(35.0 / 40.0));
  // Interval mean needs only count and sum: (3000-1000 + 7000-3000) / 200.
  CHECK(number_of(ok({"query", p, "-n", "h", "--agg", "avg", "-o", "json"}).out, "avg") ==
        Approx(30.0));
  auto p99 = ok({"query", p, "-n", "h", "--agg", "p99", "-o", "json"});
  CHECK(p99.out.find("\"p99\":null") != std::string::npos);
  CHECK(p99.err.find("no bucket counts") != std::string::npos);
}
