// demo_product --scenario: each fault shows in the tiny tier's records inside its documented
// window (scenario.hpp: disk-fill 20-80%, container-flap 30-60%, latency-spike 40-60%,
// heartbeat-loss 50-80% of the run), for several seeds, and a healthy run shows none of them.
#include <catch2/catch.hpp>

#include <functional>
#include <set>

#include "demo_support.hpp"

using namespace demo_test;

namespace {

constexpr std::int64_t events = 20'000;  // 20 s of simulated time
constexpr std::int64_t at_pct(int pct) { return epoch_ns + events * pct / 100 * ms; }
// A fault takes effect at the first step of the simulation at or after its time; a step makes
// a handful of calls, so records of the step under way may follow within a few ms.
constexpr std::int64_t step_slack = 10 * ms;

struct scenario_run {
  temp_dir dir;
  run_result result;
  std::vector<line> lines;

  scenario_run(const std::string& scenario, int seed) {
    result =
        run_demo({"--tier", "tiny", "--store", (dir / "store").string(), "--seed",
                  std::to_string(seed), "--events", std::to_string(events), "--scenario", scenario},
                 dir.path());
    lines = read_lines(dir / "store");
  }

  std::vector<const line*> select(const std::function<bool(const line&)>& pred) const {
    std::vector<const line*> out;
    for (const auto& l : lines)
      if (l.product() && pred(l)) out.push_back(&l);
    return out;
  }
  std::vector<const line*> notifications(const std::string& message) const {
    return select([&](const line& l) { return l.kind == "notification" && l.name == message; });
  }
};

// Anything segmentstore-2 reports: its status and heartbeat, its containers
// (segmentstore/2/container/<c>, c % 3 == 2), its disk sdc.
bool from_store_2(const line& l) {
  return l.name == "segmentstore/2" || l.name == "segmentstore.2.heartbeat" ||
         l.name.rfind("segmentstore/2/container/", 0) == 0 || l.name == "disk/sdc" ||
         l.field("store") == "segmentstore-2" || l.field("disk") == "sdc";
}

bool fenced_restart(const line& l) {
  return l.kind == "notification" && l.name == "container restarted" &&
         l.field("reason") == "ownership fenced by another segment store";
}

}  // namespace

TEST_CASE("healthy runs show none of the injected faults", "[demo][scenario]") {
  for (int seed : {1, 2, 3}) {
    INFO("seed " << seed);
    scenario_run run{"healthy", seed};
    INFO(run.result.err);
    REQUIRE(run.result.exit_code == 0);
    CHECK(summary_text(run.result.err, "fault_onset").empty());
    CHECK(run.notifications("slow journal write").empty());
    CHECK(run.notifications("disk nearly full").empty());
    CHECK(run.notifications("disk full").empty());
    CHECK(run.notifications("append failed").empty());
    CHECK(run.notifications("segment store reconnected").empty());
    CHECK(run.select(fenced_restart).empty());
    // segmentstore-2 keeps reporting: once its heartbeat has started (its first one is due
    // 1.666 s after start-up), no gap is longer than the 1 s heartbeat and a few ms of lag.
    std::int64_t last = -1;
    for (const auto* l : run.select(from_store_2)) {
      if (last >= epoch_ns + 2000 * ms) CHECK(l->ts_ns - last <= 1020 * ms);
      last = l->ts_ns;
    }
    CHECK(last >= epoch_ns + (events - 1020) * ms);
  }
}

TEST_CASE("disk-fill: sdb fills linearly from 20% and is full by 80% of the run",
          "[demo][scenario]") {
  for (int seed : {1, 2, 3}) {
    INFO("seed " << seed);
    scenario_run run{"disk-fill", seed};
    INFO(run.result.err);
    REQUIRE(run.result.exit_code == 0);
    CHECK(summary_text(run.result.err, "fault_onset") == "2026-01-01T00:00:04.000000000Z");
    CHECK(summary_text(run.result.err, "fault_end") == "2026-01-01T00:00:16.000000000Z");
    const auto nearly = run.notifications("disk nearly full");
    const auto full = run.notifications("disk full");
    REQUIRE(nearly.size() == 1);
    REQUIRE(full.size() == 1);
    CHECK(nearly[0]->field("disk") == "sdb");
    CHECK(full[0]->field("disk") == "sdb");
    CHECK(full[0]->severity == "critical");
    CHECK(nearly[0]->ts_ns > at_pct(20));
    CHECK(nearly[0]->ts_ns < full[0]->ts_ns);
    CHECK(full[0]->ts_ns <= at_pct(80) + 300 * ms);  // gauges are read every 250 ms
    // Once full, appends on segmentstore-1 fail (reported at most once every 10 s, each report
    // counting the failures since the previous one).
    const auto failed = run.notifications("append failed");
    REQUIRE(!failed.empty());
    for (const auto* l : failed) {
      CHECK(l->field("store") == "segmentstore-1");
      CHECK(l->ts_ns >= full[0]->ts_ns);
      CHECK(std::stoll(l->field("failed_appends")) >= 1);
    }
    for (std::size_t i = 1; i < failed.size(); ++i)
      CHECK(failed[i]->ts_ns - failed[i - 1]->ts_ns >= 10'000 * ms);
    const auto sdb = run.select([](const line& l) { return l.name == "disk/sdb"; });
    REQUIRE(!sdb.empty());
    CHECK(sdb.back()->value == "FULL");
  }
}

TEST_CASE("container-flap: container 3 cycles RECOVERING/RUNNING from 30% to 60%",
          "[demo][scenario]") {
  for (int seed : {1, 2, 3}) {
    INFO("seed " << seed);
    scenario_run run{"container-flap", seed};
    INFO(run.result.err);
    REQUIRE(run.result.exit_code == 0);
    const auto fenced = run.select(fenced_restart);
    CHECK(fenced.size() >= 20);  // 6 s of cycles of 100-220 ms
    for (const auto* l : fenced) {
      CHECK(l->field("container") == "3");
      CHECK(l->ts_ns >= at_pct(30));
      CHECK(l->ts_ns <= at_pct(60) + 100 * ms);
    }
    std::int64_t inside = 0, outside = 0;
    for (const auto* l :
         run.select([](const line& l) { return l.name == "segmentstore/0/container/3"; })) {
      if (l->ts_ns >= at_pct(30) && l->ts_ns <= at_pct(60) + 100 * ms)
        ++inside;
      else
        ++outside;
    }
    CHECK(inside >= 40);
    CHECK(outside <= 8);  // start-up, and at most one ordinary outage
  }
}

TEST_CASE("latency-spike: slow journal writes only from 40% to 60%", "[demo][scenario]") {
  for (int seed : {1, 2, 3}) {
    INFO("seed " << seed);
    scenario_run run{"latency-spike", seed};
    INFO(run.result.err);
    REQUIRE(run.result.exit_code == 0);
    // Each store reports its slow writes at most once every 5 s, counting them: in the 4 s of
    // the spike, one report per store, standing for dozens of slow writes.
    const auto slow = run.notifications("slow journal write");
    CHECK(slow.size() == 3);
    std::set<std::string> stores;
    std::int64_t slow_writes = 0;
    for (const auto* l : slow) {
      CHECK(l->severity == "warning");
      CHECK(l->ts_ns >= at_pct(40));
      CHECK(l->ts_ns < at_pct(60) + step_slack);
      CHECK(std::stoll(l->field("latency_us")) > 25'000);
      stores.insert(l->field("store"));
      slow_writes += std::stoll(l->field("slow_writes"));
    }
    CHECK(stores.size() == slow.size());
    CHECK(slow_writes == static_cast<std::int64_t>(slow.size()));  // each report is the first
  }
}

TEST_CASE("heartbeat-loss: segmentstore-2 records nothing from 50% to 80%", "[demo][scenario]") {
  for (int seed : {1, 2, 3}) {
    INFO("seed " << seed);
    scenario_run run{"heartbeat-loss", seed};
    INFO(run.result.err);
    REQUIRE(run.result.exit_code == 0);
    std::int64_t before = 0, during = 0, after = 0, last_before = 0;
    for (const auto* l : run.select(from_store_2)) {
      if (l->ts_ns < at_pct(50) + step_slack)
        ++before, last_before = l->ts_ns;
      else if (l->ts_ns < at_pct(80))
        ++during;
      else
        ++after;
    }
    CHECK(before > 0);
    CHECK(during == 0);
    CHECK(after > 0);
    // It reported until the loss (a heartbeat each second), not merely at start-up.
    CHECK(at_pct(50) - last_before <= 1100 * ms);
    const auto reconnected = run.notifications("segment store reconnected");
    REQUIRE(reconnected.size() == 1);
    CHECK(reconnected[0]->field("store") == "segmentstore-2");
    CHECK(reconnected[0]->ts_ns >= at_pct(80));
    CHECK(reconnected[0]->ts_ns < at_pct(80) + step_slack);
    const auto silent_ms = std::stoll(reconnected[0]->field("silent_ms"));
    CHECK(silent_ms >= events * 30 / 100);
    CHECK(silent_ms < events * 30 / 100 + step_slack / ms);
  }
}
