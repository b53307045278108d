// Hot-path costs of the collection building blocks, with their peers in the same run.
//
// Per-call percentiles (p50/p99) are measured with rdtsc around each call into a preallocated
// sample buffer; the cost of an empty rdtsc pair (measured the same way) is subtracted and ticks
// are converted to ns with a TSC rate calibrated against steady_clock for 200 ms at start-up.
#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "introspect/metrics/registry.hpp"
#include "introspect/pipeline/cached_clock.hpp"
#include "introspect/pipeline/event_slot.hpp"

namespace m = introspect::metrics;
namespace p = introspect::pipeline;

namespace {

// An 80-byte message, as a notification's encoded payload.
const std::string k_message =
    "disk nearly full: sdb at 91% (threshold 90%), segment store container 3 recovering";

double tsc_ns_per_tick() {
  static const double rate = [] {
    const auto t0 = std::chrono::steady_clock::now();
    const auto c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto c1 = __rdtsc();
    const auto t1 = std::chrono::steady_clock::now();
    return static_cast<double>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()) /
           static_cast<double>(c1 - c0);
  }();
  return rate;
}

// Collects per-call tick deltas and reports p50/p99 in ns as benchmark counters.
class percentiles {
 public:
  percentiles() : samples_(1 << 20) {}
  void add(std::uint64_t ticks) noexcept { samples_[n_++ & (samples_.size() - 1)] = ticks; }
  void report(benchmark::State& state, double overhead_ticks) {
    const auto n = std::min<std::size_t>(n_, samples_.size());
    if (n == 0) return;
    std::sort(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(n));
    auto at = [&](double q) {
      const auto t =
          static_cast<double>(samples_[static_cast<std::size_t>(q * static_cast<double>(n - 1))]);
      return std::max(0.0, t - overhead_ticks) * tsc_ns_per_tick();
    };
    state.counters["p50_ns"] = at(0.50);
    state.counters["p99_ns"] = at(0.99);
  }

 private:
  std::vector<std::uint64_t> samples_;
  std::size_t n_ = 0;
};

// Median ticks of an empty rdtsc pair.
double rdtsc_overhead() {
  static const double v = [] {
    std::vector<std::uint64_t> s(100000);
    for (auto& x : s) {
      const auto a = __rdtsc();
      _mm_lfence();
      x = __rdtsc() - a;
    }
    std::sort(s.begin(), s.end());
    return static_cast<double>(s[s.size() / 2]);
  }();
  return v;
}

template <class Fn>
[[gnu::always_inline]] inline void timed(percentiles& pc, Fn&& fn) {
  const auto a = __rdtsc();
  _mm_lfence();
  fn();
  const auto b = __rdtsc();
  pc.add(b - a);
}

// ---- metrics --------------------------------------------------------------------------------

std::atomic<std::uint64_t> g_atomic{0};
m::registry& reg() {
  static m::registry r;
  return r;
}

void BM_atomic_fetch_add_relaxed(benchmark::State& state) {
  for (auto _ : state) g_atomic.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_atomic_fetch_add_relaxed)->Threads(1)->Threads(2)->UseRealTime();

void BM_counter_inc(benchmark::State& state) {
  auto& c = reg().counter("bench.counter");
  for (auto _ : state) c.inc();
  if (state.thread_index() == 0) benchmark::DoNotOptimize(c.value());
}
BENCHMARK(BM_counter_inc)->Threads(1)->Threads(2)->UseRealTime();

void BM_counter_by_name(benchmark::State& state) {
  reg().counter("bench.by_name");
  for (auto _ : state) reg().count("bench.by_name");
}
BENCHMARK(BM_counter_by_name)->Threads(1)->Threads(2)->UseRealTime();

void BM_gauge_set(benchmark::State& state) {
  auto& g = reg().gauge("bench.gauge");
  std::int64_t v = 0;
  for (auto _ : state) g.set(++v);
}
BENCHMARK(BM_gauge_set)->Threads(1)->UseRealTime();

void BM_histogram_observe(benchmark::State& state) {
  auto& h = reg().histogram("bench.histogram");
  std::int64_t v = 1;
  for (auto _ : state) {
    h.observe(v);
    v = (v * 7 + 13) & 0xFFFFF;  // spread over ~20 power-of-two groups
  }
}
BENCHMARK(BM_histogram_observe)->Threads(1)->Threads(2)->UseRealTime();

// ---- event queue vs spdlog --------------------------------------------------------------------

// A queue with a consumer thread draining it (the normal case), then per-push percentiles.
void BM_queue_push_live_consumer(benchmark::State& state) {
  p::event_queue<256, p::drop_oldest> q(1 << 14);
  p::cached_clock clock;
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      q.drain([](p::event_slot<256>& e) { benchmark::DoNotOptimize(e.size); }, 1024);
      clock.refresh();
      (void)q.wait(std::chrono::milliseconds(1));
    }
  });
  percentiles pc;
  for (auto _ : state) timed(pc, [&] { (void)p::publish(q, 1, clock.now(), k_message); });
  stop = true;
  q.notify();
  consumer.join();
  pc.report(state, rdtsc_overhead());
  state.counters["dropped"] = static_cast<double>(q.drops().total());
}
BENCHMARK(BM_queue_push_live_consumer)->UseRealTime();

// The consumer is stopped: the ring is full and every push evicts (drop_oldest) or fails.
template <class Policy>
void BM_queue_push_stalled_consumer(benchmark::State& state) {
  p::event_queue<256, Policy> q(1024);
  percentiles pc;
  std::int64_t ts = 0;
  for (auto _ : state) timed(pc, [&] { (void)p::publish(q, 1, ++ts, k_message); });
  pc.report(state, rdtsc_overhead());
  state.counters["dropped"] = static_cast<double>(q.drops().total());
}
BENCHMARK_TEMPLATE(BM_queue_push_stalled_consumer, p::drop_oldest)->UseRealTime();
BENCHMARK_TEMPLATE(BM_queue_push_stalled_consumer, p::drop_newest)->UseRealTime();

// spdlog's async logger (non-blocking overrun policy, null sink): the same 80-byte message.
void BM_spdlog_async_null_sink(benchmark::State& state) {
  spdlog::init_thread_pool(1 << 14, 1);
  auto logger = spdlog::create_async_nb<spdlog::sinks::null_sink_mt>("bench_async");
  percentiles pc;
  for (auto _ : state) timed(pc, [&] { logger->info("{}", k_message); });
  pc.report(state, rdtsc_overhead());
  spdlog::drop("bench_async");
  logger.reset();
  spdlog::shutdown();
}
BENCHMARK(BM_spdlog_async_null_sink)->UseRealTime();

void BM_clock_system_now(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::system_clock::now());
}
BENCHMARK(BM_clock_system_now);

void BM_clock_cached_now(benchmark::State& state) {
  p::cached_clock c;
  for (auto _ : state) benchmark::DoNotOptimize(c.now());
}
BENCHMARK(BM_clock_cached_now);

}  // namespace

BENCHMARK_MAIN();
