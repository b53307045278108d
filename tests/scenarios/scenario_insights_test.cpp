// Issue 8, item 4: demo_product injects each fault at a known time; the insight engine, replayed
// offline over the store the demo wrote, finds every fault with the rule meant for it, with its
// onset within a stated tolerance, and says nothing about healthy runs. The table it prints is
// the one in docs/scenarios.md.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <thread>

#include <simdjson.h>

#include <introspect/insight/default_rules.hpp>

#include "scenario_support.hpp"

using namespace scenario_test;

namespace {

//! The insight a fault must produce: its rule instance, its subject, and where its onset may
//! lie relative to the fault_onset the demo prints.
struct expectation {
  std::string rule;
  std::string subject;
  std::int64_t min_error = 0, max_error = 0;  // onset - fault_onset
};

// Tolerances, from how each rule dates its onset (docs/insights.md):
// - disk-full (exhaustion, 10 min fit): the first prediction under the horizon; the fill must
//   cover about half the window before the median slope follows it: within one window.
// - container-flapping: the first change in the window, i.e. the first fenced recovery, which
//   container-flap forces at its onset (or one flap period later, 4.8-9.6 s at 1.2 M events).
// - journal-latency (anomaly of the interval mean): the first anomalous snapshot, which is the
//   first metric period (1 s) that contains slowed writes.
// - component-heartbeat: the last sign of life, the last heartbeat before the loss: at most one
//   heartbeat period (1 s) plus, on the stream tiers, one snapshot period (1 s) earlier.
std::optional<expectation> expected_for(const std::string& scenario) {
  if (scenario == "disk-fill") return expectation{"disk-full", "disk.sdb.used_bytes", 0, 600 * s};
  if (scenario == "container-flap")
    return expectation{"container-flapping", "segmentstore/0/container/3", 0, 10 * s};
  if (scenario == "latency-spike")
    return expectation{"journal-latency", "bookkeeper.write.latency_us", 0, 2 * s};
  if (scenario == "heartbeat-loss")
    return expectation{"component-heartbeat", "segmentstore.2.heartbeat", -2 * s, 0};
  return std::nullopt;
}

// The CI seeds. Lengths (1 event = 1 simulated ms): a healthy or disk-fill run lasts 30 min, so
// that the disk-full rule's 10-minute fit sees 6 min of normal use, then an 18-min fill; the
// other faults need 20 min (their onset, at 30-50% of the run, is then more than the flapping
// rule's 5-minute window after the containers' start-up, and the heartbeat loss lasts 6 min
// against a 30 s timeout). Metrics exist from the small tier up, so disk-fill and
// latency-spike run on the medium tier only; the tiny tier (states and notifications) runs
// the faults its records can show.
std::vector<run_spec> ci_runs() {
  std::vector<run_spec> out;
  const auto add = [&](const char* tier, const char* scenario, std::int64_t events,
                       std::initializer_list<int> seeds) {
    for (int seed : seeds) out.push_back({tier, scenario, seed, events});
  };
  add("medium", "healthy", 1'800'000, {1, 2, 3, 4, 5});
  add("medium", "disk-fill", 1'800'000, {1, 2, 3, 4, 5});
  add("medium", "container-flap", 1'200'000, {1, 2, 3, 4});
  add("medium", "latency-spike", 1'200'000, {1, 2, 3, 4});
  add("medium", "heartbeat-loss", 1'200'000, {1, 2, 3, 4});
  add("tiny", "healthy", 1'800'000, {1, 2, 3});
  add("tiny", "container-flap", 1'200'000, {1, 2, 3});
  add("tiny", "heartbeat-loss", 1'200'000, {1, 2, 3});
  return out;
}

//! One run scored.
struct outcome {
  run_spec spec;
  demo_run demo;
  replay_result replay;
  std::string error;  // the run could not be scored
  int expected = 0, tp = 0;
  std::vector<const episode*> fps;
  std::optional<std::int64_t> onset_error;
};

void score(outcome& o) {
  const auto exp = expected_for(o.spec.scenario);
  o.expected = exp ? 1 : 0;
  for (const auto& e : o.replay.episodes) {
    const bool match = exp && o.tp == 0 && o.demo.fault_onset && e.rule == exp->rule &&
                       e.subject == exp->subject &&
                       e.onset - *o.demo.fault_onset >= exp->min_error &&
                       e.onset - *o.demo.fault_onset <= exp->max_error;
    if (match) {
      ++o.tp;
      o.onset_error = e.onset - *o.demo.fault_onset;
    } else {
      o.fps.push_back(&e);
    }
  }
}

outcome run_one(const run_spec& spec, const ins::config<ins::all_rules>& cfg) {
  outcome o;
  o.spec = spec;
  try {
    temp_dir dir("ix-scenario", scratch_root());
    o.demo = run_demo(spec, dir.path() / "store", dir.path());
    if (o.demo.exit_code != 0) {
      o.error = "demo_product exited " + std::to_string(o.demo.exit_code) + ": " + o.demo.summary;
      return o;
    }
    o.replay = replay_store(dir.path() / "store", cfg);
  } catch (const std::exception& e) {
    o.error = e.what();
    return o;
  }
  score(o);
  return o;
}

//! Runs the specs two at a time (the demo's product and writer threads plus a replay fit two
//! cores), in the order given.
std::vector<outcome> run_all(const std::vector<run_spec>& specs,
                             const ins::config<ins::all_rules>& cfg) {
  std::vector<outcome> out(specs.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < specs.size();) out[i] = run_one(specs[i], cfg);
  };
  std::thread other(worker);
  worker();
  other.join();
  return out;
}

std::string seconds(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.3f s", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string ratio(int num, int den) {
  if (den == 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(num) / den);
  return buf;
}

// The table of docs/scenarios.md: one row per tier and scenario, then the totals.
std::string table(const std::vector<outcome>& all) {
  std::string t =
      "| scenario | tier | events | seeds | expected | found | TP | FP | FN | precision | "
      "recall | onset error (min .. max) |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  int sum_exp = 0, sum_found = 0, sum_tp = 0, sum_fp = 0, runs = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    int exp = 0, found = 0, tp = 0, fp = 0;
    std::string seeds;
    std::optional<std::int64_t> lo, hi;
    for (; j < all.size() && all[j].spec.tier == all[i].spec.tier &&
           all[j].spec.scenario == all[i].spec.scenario;
         ++j) {
      const auto& o = all[j];
      exp += o.expected;
      found += static_cast<int>(o.replay.episodes.size());
      tp += o.tp;
      fp += static_cast<int>(o.fps.size());
      seeds += (seeds.empty() ? "" : ",") + std::to_string(o.spec.seed);
      if (o.onset_error) {
        lo = std::min(lo.value_or(*o.onset_error), *o.onset_error);
        hi = std::max(hi.value_or(*o.onset_error), *o.onset_error);
      }
    }
    t += "| " + all[i].spec.scenario + " | " + all[i].spec.tier + " | " +
         std::to_string(all[i].spec.events) + " | " + seeds + " | " + std::to_string(exp) + " | " +
         std::to_string(found) + " | " + std::to_string(tp) + " | " + std::to_string(fp) + " | " +
         std::to_string(exp - tp) + " | " + ratio(tp, tp + fp) + " | " + ratio(tp, exp) + " | " +
         (lo ? seconds(*lo) + " .. " + seconds(*hi) : "-") + " |\n";
    sum_exp += exp;
    sum_found += found;
    sum_tp += tp;
    sum_fp += fp;
    runs += static_cast<int>(j - i);
    i = j;
  }
  t += "| **all** | | | " + std::to_string(runs) + " runs | " + std::to_string(sum_exp) + " | " +
       std::to_string(sum_found) + " | " + std::to_string(sum_tp) + " | " + std::to_string(sum_fp) +
       " | " + std::to_string(sum_exp - sum_tp) + " | " + ratio(sum_tp, sum_tp + sum_fp) + " | " +
       ratio(sum_tp, sum_exp) + " | |\n";
  return t;
}

std::string describe(const outcome& o) {
  return "demo_product --tier " + o.spec.tier + " --scenario " + o.spec.scenario + " --seed " +
         std::to_string(o.spec.seed) + " --events " + std::to_string(o.spec.events);
}

}  // namespace

TEST_CASE("the scenario rules are the default rules", "[scenarios]") {
  // The flapping limit is 12 changes in 5 minutes: a container's ordinary restart is 4 state
  // changes and its start-up 2, so a lower limit fires on a start-up and one restart.
  simdjson::dom::parser p1, p2;
  const std::string defaults = simdjson::minify(p1.parse(ins::default_rules_json()).value());
  const std::string ours = simdjson::minify(p2.parse(read_text(rules_path)).value());
  CHECK(defaults.find("\"changes\":12,") != std::string::npos);
  CHECK(ours == defaults);
  CHECK(scenario_rules().rules.size() == 8);
}

TEST_CASE("every injected fault is found by its rule, near its onset; healthy runs stay quiet",
          "[scenarios]") {
  const auto specs = ci_runs();
  REQUIRE(specs.size() >= 20);
  const auto all = run_all(specs, scenario_rules());

  for (const auto& o : all) {
    INFO(describe(o));
    INFO(o.error);
    REQUIRE(o.error.empty());
    CHECK(o.replay.records > 0);
    CHECK(o.replay.damaged == 0);
    CHECK(o.replay.undecodable == 0);
    CHECK(o.demo.fault_onset.has_value() == (o.spec.scenario != "healthy"));
    for (const auto* e : o.fps) {
      INFO("unexpected insight: " << e->rule << " on " << e->subject << ", onset "
                                  << ix::format_rfc3339(e->onset) << ": " << e->message);
      CHECK(false);
    }
    CHECK(o.tp == o.expected);
    if (o.expected && !o.tp) {
      const auto exp = *expected_for(o.spec.scenario);
      std::string seen;
      for (const auto& e : o.replay.episodes)
        seen += " " + e.rule + "(" + e.subject + ")@" + ix::format_rfc3339(e.onset);
      INFO("fault onset " << ix::format_rfc3339(o.demo.fault_onset.value_or(0)) << ", expected "
                          << exp.rule << " on " << exp.subject << "; insights:" << seen);
      CHECK(false);
    }
  }

  int tp = 0, fp = 0, expected = 0;
  for (const auto& o : all)
    tp += o.tp, fp += static_cast<int>(o.fps.size()), expected += o.expected;
  const std::string t = table(all);
  std::printf("\n%s\n", t.c_str());
  INFO(t);
  CHECK(expected > 0);
  CHECK(tp == expected);  // recall 1
  CHECK(fp == 0);         // precision 1
}

TEST_CASE("a seeded medium-tier run records the same product records twice", "[scenarios]") {
  // The scenario table is reproducible only if the store is: metric snapshots must be taken at
  // the same simulated times with the same values in every run (the demo stops at each engine
  // period; recorder.hpp). Records of the process and host sources measure the real machine
  // and are left out.
  const run_spec spec{"medium", "latency-spike", 7, 120'000};
  std::vector<std::string> runs[2];
  for (auto& lines : runs) {
    temp_dir dir("ix-scenario", scratch_root());
    const auto demo = run_demo(spec, dir.path() / "store", dir.path());
    INFO(demo.summary);
    REQUIRE(demo.exit_code == 0);
    ix::query::read::damage_log log;
    std::uint64_t undecodable = 0;
    auto src = open_store(dir.path() / "store", log, undecodable);
    ix::record r;
    while (src->next(r)) {
      // Metric snapshots are taken by the writer thread at its period; when it runs late (a
      // loaded or sanitized run) a snapshot can land on another side of a product call, so only
      // the product's own records are compared.
      if (r.source != "product" || r.kind == ix::record_kind::metric) continue;
      std::string line = std::to_string(r.ts_ns) + " " + std::string{ix::to_string(r.kind)} + " " +
                         r.name + " " + ins::value_text(r.val);
      for (const auto& f : r.fields) line += " " + f.key + "=" + ins::value_text(f.val);
      lines.push_back(std::move(line));
    }
    CHECK(undecodable == 0);
  }
  REQUIRE(runs[0].size() > 100);
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("the unmodified default rules on the same runs (prints a table)", "[.][defaults]") {
  // Not part of CI: shows why the scenario rules raise the flapping limit (docs/scenarios.md).
  const auto all = run_all(ci_runs(), ins::default_config());
  std::printf("\n%s\n", table(all).c_str());
  for (const auto& o : all)
    for (const auto* e : o.fps)
      std::printf("%s: %s on %s at %s\n", describe(o).c_str(), e->rule.c_str(), e->subject.c_str(),
                  ix::format_rfc3339(e->onset).c_str());
}
