// Scrape cost: the exposition of N series rendered from a live metric registry, and the whole
// GET /metrics through expose::prometheus_http's endpoint over loopback, as Prometheus does it.
// Half the series are counters, half gauges, named "svc.<i>.requests" / "svc.<i>.queue_bytes"
// and mapped with "svc.{svc}.*" (so every sample carries a label); the histogram case adds
// latency histograms, each ~25 series with its buckets.
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>
#include <thread>


#include <introspect/expose/prometheus_http.hpp>
#include <introspect/expose/registry_exposition.hpp>
#include <introspect/metrics/registry.hpp>

namespace ix = introspect;

namespace {

// The endpoint needs only an engine with a registry.
struct registry_engine {
  ix::metrics::registry reg;
  ix::metrics::registry& registry() noexcept { return reg; }
};

void fill(ix::metrics::registry& reg, std::int64_t series, std::int64_t histograms) {
  for (std::int64_t i = 0; i < series / 2; ++i) {
    reg.count("svc." + std::to_string(i) + ".requests", static_cast<std::uint64_t>(i * 7 + 1));
    reg.set("svc." + std::to_string(i) + ".queue_bytes", static_cast<double>(i) * 1024.5);
  }
  for (std::int64_t h = 0; h < histograms; ++h)
    for (std::int64_t v = 1; v < 100'000; v = v * 3 + 1)
      reg.observe("svc." + std::to_string(h) + ".latency_us", v);
}

void BM_render(benchmark::State& state) {
  ix::metrics::registry reg;
  fill(reg, state.range(0), state.range(1));
  ix::expose::registry_exposition e(ix::exporters::name_mapping({"svc.{svc}.*"}));
  std::string out;
  for (auto _ : state) {
    e.render(reg, ix::expose::exposition_format::prometheus_text, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_render)->Args({10'000, 0})->Args({10'000, 100})->Unit(benchmark::kMillisecond);

// GET /metrics over loopback is measured by benchmarks/scrape (bench_scrape), text and
// OpenMetrics, beside the product's recording calls during scrapes.

// The product's counter increment while a scraper renders in a loop on another thread: the
// scrape must not slow the recording call (compare with the idle case).
void BM_count_during_scrapes(benchmark::State& state) {
  registry_engine eng;
  fill(eng.reg, 10'000, 0);
  auto& hot = eng.reg.counter("svc.0.requests");
  std::atomic<bool> stop{false};
  std::thread scraper;
  if (state.range(0)) {
    scraper = std::thread([&] {
      ix::expose::registry_exposition e(ix::exporters::name_mapping({"svc.{svc}.*"}));
      std::string out;
      while (!stop.load(std::memory_order_relaxed))
        e.render(eng.reg, ix::expose::exposition_format::prometheus_text, out);
    });
  }
  for (auto _ : state) {
    hot.inc();
    eng.reg.count("svc.1.requests");  // by name: takes the registry's shared lock
  }
  stop = true;
  if (scraper.joinable()) scraper.join();
}
BENCHMARK(BM_count_during_scrapes)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
