// Insight engine benchmarks (docs/insights.md, "Measured"):
//  - one tick with 1000 metrics x 7 rules: observe the period's 1000 gauge records (+ states),
//    then evaluate() over 7000 subjects; and evaluate() alone;
//  - offline throughput: 10 M synthetic records through the replay driver, with the default
//    rules (most records match no rule) and with the 7 rules over every metric.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/replay.hpp>

namespace ix = introspect;
namespace ins = introspect::insight;

namespace {

constexpr std::int64_t s = 1'000'000'000;
constexpr std::int64_t t0 = 1'767'225'600 * s;
constexpr int metrics = 1000;

// Seven rules, each watching every one of the 1000 metrics (flapping: 1000 state keys; burst:
// notifications named like the metrics, one subject per name).
ins::config<ins::all_rules> seven_rules() {
  ins::config<ins::all_rules> c;
  {
    ins::rule_def<ins::threshold> d{"thr", ix::severity::warning, "", {}};
    d.params.metric = "m.*";
    d.params.above = 1e9;
    d.params.min_duration = {10 * s};
    c.add(d);
  }
  {
    ins::rule_def<ins::rate> d{"rate", ix::severity::warning, "", {}};
    d.params.mode = "derivative";
    d.params.name = "m.*";
    d.params.above = 1e9;
    c.add(d);
  }
  {
    ins::rule_def<ins::exhaustion> d{"exh", ix::severity::warning, "", {}};
    d.params.metric = "m.*";
    d.params.limit = 1e12;
    d.params.window = {600 * s};
    d.params.horizon = {3600 * s};
    c.add(d);
  }
  {
    ins::rule_def<ins::anomaly> d{"anom", ix::severity::warning, "", {}};
    d.params.metric = "m.*";
    c.add(d);
  }
  {
    ins::rule_def<ins::flapping> d{"flap", ix::severity::warning, "", {}};
    d.params.key = "m.*";
    d.params.changes = 5;
    d.params.window = {300 * s};
    c.add(d);
  }
  {
    ins::rule_def<ins::heartbeat> d{"hb", ix::severity::warning, "", {}};
    d.params.name = "m.*";
    d.params.by = "name";
    d.params.timeout = {60 * s};
    c.add(d);
  }
  {
    ins::rule_def<ins::burst> d{"burst", ix::severity::warning, "", {}};
    d.params.name = "m.*";
    d.params.by = "name";
    d.params.count = 100;
    d.params.window = {60 * s};
    c.add(d);
  }
  return c;
}

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (int i = 0; i < metrics; ++i) names.push_back("m." + std::to_string(i));
  return names;
}

// A cheap deterministic noise: the generator must not dominate what is measured.
struct lcg {
  std::uint64_t x = 88172645463325252ull;
  double next() {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(x >> 40) / 16777216.0;  // [0, 1)
  }
};

ix::record_view gauge(std::int64_t ts, std::string_view name, double v) {
  ix::record_view r;
  r.ts_ns = ts;
  r.kind = ix::record_kind::metric;
  r.mtype = ix::metric_type::gauge;
  r.source = "product";
  r.name = name;
  r.val = v;
  return r;
}

// Feeds one period: every metric's gauge, every 10th period a state per metric.
void feed_period(ins::full_engine& e, const std::vector<std::string>& names, std::int64_t tick,
                 lcg& g) {
  const std::int64_t ts = t0 + tick * s;
  for (int i = 0; i < metrics; ++i) e.observe(gauge(ts, names[i], 1000 + 10 * g.next()));
  if (tick % 10 == 0)
    for (int i = 0; i < metrics; ++i) {
      ix::record_view st;
      st.ts_ns = ts;
      st.kind = ix::record_kind::state;
      st.source = "product";
      st.name = names[i];
      st.val = (tick / 10) % 2 ? "RUNNING" : "RECOVERING";
      e.observe(st);
    }
}

void warm(ins::full_engine& e, const std::vector<std::string>& names, lcg& g, std::int64_t ticks) {
  for (int i = 0; i < metrics; ++i) {  // one notification per name: burst has 1000 subjects
    ix::record_view n;
    n.ts_ns = t0;
    n.kind = ix::record_kind::notification;
    n.sev = ix::severity::warning;
    n.source = "product";
    n.name = names[i];
    e.observe(n);
  }
  for (std::int64_t t = 0; t < ticks; ++t) {
    feed_period(e, names, t, g);
    e.evaluate(t0 + t * s, [](const ix::record&) {});
  }
}

void BM_tick_1000_metrics_7_rules(benchmark::State& state) {
  const auto names = metric_names();
  ins::full_engine e{seven_rules()};
  lcg g;
  std::int64_t tick = 0;
  warm(e, names, g, 120);
  tick = 120;
  std::size_t emitted = 0;
  for (auto _ : state) {
    feed_period(e, names, tick, g);
    e.evaluate(t0 + tick * s, [&](const ix::record&) { ++emitted; });
    ++tick;
  }
  state.counters["subjects"] = 7 * metrics;
  state.counters["insights"] = static_cast<double>(emitted);
}
BENCHMARK(BM_tick_1000_metrics_7_rules)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

void BM_evaluate_only_1000_metrics_7_rules(benchmark::State& state) {
  const auto names = metric_names();
  ins::full_engine e{seven_rules()};
  lcg g;
  warm(e, names, g, 120);
  // Evaluations inside one period (no new records): the cost of visiting 7000 subjects.
  std::int64_t now = t0 + 120 * s;
  for (auto _ : state) {
    e.evaluate(now, [](const ix::record&) {});
    now += 1;
  }
}
BENCHMARK(BM_evaluate_only_1000_metrics_7_rules)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// 10 M records: 1000 gauges per period for 10 000 periods, through the offline replay.
template <class MakeConfig>
void offline(benchmark::State& state, MakeConfig make) {
  const auto names = metric_names();
  constexpr std::int64_t periods = 10'000;
  std::size_t emitted = 0;
  for (auto _ : state) {
    ins::full_engine e{make()};
    ins::replay<ins::full_engine> rp{e, s};
    auto emit = [&](const ix::record&) { ++emitted; };
    lcg g;
    for (std::int64_t t = 0; t < periods; ++t) {
      const std::int64_t ts = t0 + t * s;
      for (int i = 0; i < metrics; ++i) rp.observe(gauge(ts, names[i], 1000 + 10 * g.next()), emit);
    }
    rp.finish(emit);
  }
  state.SetItemsProcessed(state.iterations() * periods * metrics);
  state.counters["insights"] = static_cast<double>(emitted);
}

void BM_offline_10M_default_rules(benchmark::State& state) {
  offline(state, [] { return ins::default_config(); });
}
BENCHMARK(BM_offline_10M_default_rules)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_offline_10M_seven_rules_on_every_metric(benchmark::State& state) {
  offline(state, seven_rules);
}
BENCHMARK(BM_offline_10M_seven_rules_on_every_metric)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
