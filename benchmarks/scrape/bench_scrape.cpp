// The scrape as Prometheus does it and what it costs the product.
//
// BM_get_metrics: a whole `GET /metrics` of 10 000 series (5 000 counters, 5 000 gauges, each
// with a label from the name mapping) through expose::prometheus_http's endpoint over loopback
// with a keep-alive client, in both formats (Prometheus asks for OpenMetrics by default): render
// under the registry's shared lock, serialise, send, receive. Wall time, and the CPU time of
// the whole process (the endpoint's threads and the client), which a loaded machine does not
// inflate the way it inflates wall time.
//
// BM_record_during: the product's recording calls (a counter handle's inc(), a by-name count(),
// a histogram observe()) on a registry of 10 000 series, timed in batches of 64 calls, with
//   0: nothing else running (the idle product),
//   1: a scraper thread doing back-to-back GET /metrics over loopback,
//   2: a thread that only burns CPU (the share of 1 that is CPU contention, not the scrape).
// A scrape that blocked a recording call would show in the batch tail (p99, max), not only in
// the mean: counters p50_ns, p99_ns, max_ns are per batch of 64 calls.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <introspect/expose/prometheus_http.hpp>
#include <introspect/metrics/registry.hpp>

namespace ix = introspect;

namespace {

struct registry_engine {
  ix::metrics::registry reg;
  ix::metrics::registry& registry() noexcept { return reg; }
};

void fill(ix::metrics::registry& reg, std::int64_t series) {
  for (std::int64_t i = 0; i < series / 2; ++i) {
    reg.count("svc." + std::to_string(i) + ".requests", static_cast<std::uint64_t>(i * 7 + 1));
    reg.set("svc." + std::to_string(i) + ".queue_bytes", static_cast<double>(i) * 1024.5);
  }
}

void BM_get_metrics(benchmark::State& state) {
  registry_engine eng;
  fill(eng.reg, state.range(0));
  ix::expose::prometheus_http_endpoint<registry_engine> ep(
      eng, {.listen = "127.0.0.1:0", .name_patterns = {"svc.{svc}.*"}});
  if (!ep.port()) {
    state.SkipWithError(ep.error().c_str());
    return;
  }
  httplib::Client c("127.0.0.1", ep.port());
  c.set_keep_alive(true);
  const bool om = state.range(1) != 0;
  httplib::Headers h;
  if (om)
    h.emplace("Accept",
              "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
  std::size_t bytes = 0, lines = 0;
  for (auto _ : state) {
    const auto res = c.Get("/metrics", h);
    if (!res || res->status != 200) {
      state.SkipWithError("scrape failed");
      return;
    }
    bytes = res->body.size();
    benchmark::DoNotOptimize(res->body.data());
  }
  // Checked once, outside the timing: the body holds every series.
  const auto res = c.Get("/metrics", h);
  if (res) lines = static_cast<std::size_t>(std::count(res->body.begin(), res->body.end(), '\n'));
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["lines"] = static_cast<double>(lines);
  state.SetLabel(om ? "openmetrics" : "text 0.0.4");
}
BENCHMARK(BM_get_metrics)
    ->Args({10'000, 0})
    ->Args({10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()  // server and client threads: the scrape's whole CPU cost
    ->UseRealTime();

void BM_record_during(benchmark::State& state) {
  registry_engine eng;
  fill(eng.reg, 10'000);
  for (int v = 1; v < 100'000; v = v * 3 + 1) eng.reg.observe("svc.0.latency_us", v);
  auto& hot = eng.reg.counter("svc.0.requests");
  ix::expose::prometheus_http_endpoint<registry_engine> ep(
      eng, {.listen = "127.0.0.1:0", .name_patterns = {"svc.{svc}.*"}});
  if (!ep.port()) {
    state.SkipWithError(ep.error().c_str());
    return;
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> scrapes{0};
  std::thread other;
  if (state.range(0) == 1) {
    other = std::thread([&] {
      httplib::Client c("127.0.0.1", ep.port());
      c.set_keep_alive(true);
      while (!stop.load(std::memory_order_relaxed))
        if (auto res = c.Get("/metrics"); res && res->status == 200) ++scrapes;
    });
  } else if (state.range(0) == 2) {
    other = std::thread([&] {
      volatile std::uint64_t x = 0;
      while (!stop.load(std::memory_order_relaxed))
        for (int i = 0; i < 100'000; ++i) x = x + 1;
    });
  }
  constexpr int batch = 64;
  std::vector<std::int64_t> ns;
  ns.reserve(1 << 20);
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < batch / 4; ++i) {
      hot.inc();
      eng.reg.count("svc.1.requests");  // by name: the registry's shared lock
      eng.reg.set("svc.2.queue_bytes", 3.5);
      eng.reg.observe("svc.0.latency_us", 250);
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (ns.size() < ns.capacity()) ns.push_back((t1 - t0).count());
  }
  stop = true;
  if (other.joinable()) other.join();
  state.SetItemsProcessed(state.iterations() * batch);
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    return ns.empty() ? 0.0
                      : static_cast<double>(
                            ns[static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1))]);
  };
  state.counters["p50_ns"] = at(0.50);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
  state.counters["max_ns"] = at(1.0);
  state.counters["scrapes"] = static_cast<double>(scrapes.load());
  state.SetLabel(state.range(0) == 0 ? "idle" : state.range(0) == 1 ? "scrapes" : "cpu hog");
}
BENCHMARK(BM_record_during)->Arg(0)->Arg(1)->Arg(2)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
