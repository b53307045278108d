// The tiny tier's run-time costs, side by side with spdlog in the same run:
//  - notification throughput to a JSON-lines file in /tmp with the default config (the fixed
//    64 KiB buffer written through when full), periodic flushes included;
//  - spdlog basic_file_sink_st writing the same JSON line text with the pattern "%v";
//  each with the calling thread's user and system CPU per call (getrusage, RUSAGE_THREAD):
//  the encoding is user time, the write(2)s system time;
//  - the same in a process with a second thread (the engine's lock taken), and under contention
//    (2 and 4 threads recording at once) beside spdlog's basic_file_sink_mt;
//  - the cost of state();
//  - the cost of a disabled call (count on tiny) against an empty loop.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <sys/resource.h>

#include <benchmark/benchmark.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>

#include <introspect/introspect.hpp>

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A short period so that a run of a second crosses it about ten times: flushes are measured.
using bench_tiny = ix::introspection<ix::tier::tiny, ix::cadence::periodic<100ms>>;
static_assert(!bench_tiny::records<ix::kind::metric>);

// A fresh directory under /tmp for one run, removed afterwards.
struct scratch {
  fs::path dir;
  scratch() {
    std::string t = "/tmp/ix-bench-XXXXXX";
    if (!::mkdtemp(t.data())) std::abort();
    dir = t;
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

ix::config bench_config(const fs::path& dir, ix::clock_fn clock = nullptr) {
  ix::config c;
  c.store = dir;
  c.instance = "bench";
  c.file_bytes = 64u << 20;  // rotation happens, and bounds the disk used
  c.files_kept = 2;
  c.clock = clock;  // the buffer is the default (64 KiB): a flood writes through it
  return c;
}

// The record every throughput benchmark writes (fixed width: each line has the same length).
constexpr std::string_view message = "disk nearly full";
ix::field_view attributes[] = {{"disk", "sdb"}, {"pct", 71}};

// The benchmarks' notification as the encoder sees it (time: now).
ix::record_view sample_view() {
  ix::record_view r;
  r.ts_ns = ix::realtime_ns();
  r.kind = ix::record_kind::notification;
  r.sev = ix::severity::warning;
  r.source = "product";
  r.name = message;
  r.fields = attributes;
  return r;
}

std::string line_text() {
  ix::jsonl_encoder enc("bench");
  auto r = sample_view();
  std::string out;
  enc.encode(r, out);
  return out;  // with its '\n'
}

// The calling thread's user and system CPU, in ns.
struct thread_cpu {
  double user = 0, sys = 0;
  static thread_cpu now() {
    rusage u{};
    ::getrusage(RUSAGE_THREAD, &u);
    const auto ns = [](const timeval& t) {
      return 1e9 * static_cast<double>(t.tv_sec) + 1e3 * static_cast<double>(t.tv_usec);
    };
    return {ns(u.ru_utime), ns(u.ru_stime)};
  }
};

// user_ns and sys_ns: the thread's CPU per call over the whole run, the final flush included.
void report_cpu(benchmark::State& st, const thread_cpu& t0) {
  const auto t1 = thread_cpu::now();
  const auto per_call = benchmark::Counter::kAvgIterations;
  st.counters["user_ns"] = benchmark::Counter(t1.user - t0.user, per_call);
  st.counters["sys_ns"] = benchmark::Counter(t1.sys - t0.sys, per_call);
}

void report(benchmark::State& st, std::size_t line_bytes) {
  st.SetItemsProcessed(st.iterations());
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * line_bytes));
  st.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
}

void tiny_notify(benchmark::State& st, ix::clock_fn clock, std::size_t buffer_bytes = 0) {
  scratch s;
  const std::size_t line_bytes = line_text().size();
  auto c = bench_config(s.dir, clock);
  if (buffer_bytes) c.buffer_bytes = buffer_bytes;
  bench_tiny ins(std::move(c));
  const auto cpu0 = thread_cpu::now();
  for (auto _ : st) {
    ins.notify(ix::severity::warning, message, attributes);
  }
  ins.flush();  // the batch's tail is part of the cost
  report_cpu(st, cpu0);
  st.counters["locked"] = ix::detail::one_thread() ? 0 : 1;  // the engine took its lock
  const auto stats = ins.stats();
  if (stats.dropped() || stats.write_errors) st.SkipWithError("records dropped or not written");
  st.counters["flushes"] = static_cast<double>(stats.flushes);
  report(st, line_bytes);
}

void BM_tiny_notify(benchmark::State& st) { tiny_notify(st, nullptr); }
// The same with config::clock = tsc_realtime_ns (CLOCK_REALTIME interpolated with the TSC).
void BM_tiny_notify_tsc_clock(benchmark::State& st) { tiny_notify(st, &ix::tsc_realtime_ns); }
void BM_clock_tsc(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(ix::tsc_realtime_ns());
}
// tsc_realtime_ns' precision: how far outside [realtime_ns before, realtime_ns after] it falls
// (max_outside_ns; 0: never), the bracket's width being the largest it could hide.
void BM_clock_tsc_outside(benchmark::State& st) {
  std::int64_t worst = 0, widest = 0;
  for (auto _ : st) {
    const auto a = ix::realtime_ns();
    const auto t = ix::tsc_realtime_ns();
    const auto b = ix::realtime_ns();
    worst = std::max({worst, a - t, t - b});
    widest = std::max(widest, b - a);
  }
  st.counters["max_outside_ns"] = static_cast<double>(worst);
  st.counters["widest_bracket_ns"] = static_cast<double>(widest);
}
void BM_tiny_notify_coarse_clock(benchmark::State& st) { tiny_notify(st, &ix::coarse_realtime_ns); }
// config::buffer_bytes other than the default: fewer write(2)s against a buffer that stays in
// the L1 cache.
void BM_tiny_notify_buffer(benchmark::State& st) {
  tiny_notify(st, nullptr, static_cast<std::size_t>(st.range(0)));
}

// spdlog's file sink writing the very same line ("%v": the text only; spdlog adds the '\n'
// itself): basic_file_sink_st (no lock) or basic_file_sink_mt (a std::mutex).
template <class Sink>
void spdlog_file_sink(benchmark::State& st) {
  scratch s;
  std::string line = line_text();
  line.pop_back();
  auto sink = std::make_shared<Sink>((s.dir / "spdlog.jsonl").string(), true);
  spdlog::logger logger("bench", sink);
  logger.set_pattern("%v");
  logger.flush_on(spdlog::level::off);
  const auto cpu0 = thread_cpu::now();
  for (auto _ : st) {
    logger.info(std::string_view{line});
  }
  logger.flush();
  report_cpu(st, cpu0);
  report(st, line.size() + 1);
}

void BM_spdlog_basic_file_sink_st(benchmark::State& st) {
  spdlog_file_sink<spdlog::sinks::basic_file_sink_st>(st);
}

// The same pair in a process with a second thread (parked for the rest of the run): the tiny
// engine then takes its lock on every record (it skips it while the process has one thread), and
// the peer is spdlog's locking sink. glibc never marks a process single-threaded again, so these
// run after every other benchmark (registration order).
void start_second_thread() {
  static const bool started = [] {
    std::thread([] {
      for (;;) std::this_thread::sleep_for(1h);
    }).detach();
    return true;
  }();
  (void)started;
}

void BM_tiny_notify_threaded(benchmark::State& st) {
  start_second_thread();
  tiny_notify(st, nullptr);
}

void BM_tiny_notify_tsc_clock_threaded(benchmark::State& st) {
  start_second_thread();
  tiny_notify(st, &ix::tsc_realtime_ns);
}

void BM_spdlog_basic_file_sink_mt_threaded(benchmark::State& st) {
  start_second_thread();
  spdlog_file_sink<spdlog::sinks::basic_file_sink_mt>(st);
}

// Contention: benchmark threads recording through one instance (or one spdlog _mt logger) at
// once. CPU and user/system time are per call over all threads (waiting included: spinning is
// user time, sleeping on the lock's futex is neither); a second thread exists anyway.
template <class Setup, class Call, class Teardown>
void contended(benchmark::State& st, Setup setup, Call call, Teardown teardown) {
  if (st.thread_index() == 0) setup();  // the loop's start is a barrier across the threads
  const auto cpu0 = thread_cpu::now();
  for (auto _ : st) call();
  report_cpu(st, cpu0);  // counters are summed over the threads, then divided by all calls
  st.SetItemsProcessed(st.iterations());
  if (st.thread_index() == 0) teardown(st);  // after the loop's end barrier
}

std::unique_ptr<scratch> contended_dir;
std::unique_ptr<bench_tiny> contended_tiny;
std::shared_ptr<spdlog::logger> contended_spdlog;

void BM_tiny_notify_contended(benchmark::State& st) {
  contended(
      st,
      [] {
        contended_dir = std::make_unique<scratch>();
        contended_tiny = std::make_unique<bench_tiny>(bench_config(contended_dir->dir));
      },
      [] { contended_tiny->notify(ix::severity::warning, message, attributes); },
      [](benchmark::State& s) {
        contended_tiny->flush();
        const auto stats = contended_tiny->stats();
        if (stats.dropped() || stats.write_errors)
          s.SkipWithError("records dropped or not written");
        contended_tiny.reset();
        contended_dir.reset();
      });
}

void BM_spdlog_basic_file_sink_mt_contended(benchmark::State& st) {
  static std::string line;
  contended(
      st,
      [] {
        contended_dir = std::make_unique<scratch>();
        line = line_text();
        line.pop_back();
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(
            (contended_dir->dir / "spdlog.jsonl").string(), true);
        contended_spdlog = std::make_shared<spdlog::logger>("bench", sink);
        contended_spdlog->set_pattern("%v");
        contended_spdlog->flush_on(spdlog::level::off);
      },
      [] { contended_spdlog->info(std::string_view{line}); },
      [](benchmark::State&) {
        contended_spdlog->flush();
        contended_spdlog.reset();
        contended_dir.reset();
      });
}

// The pieces of tiny_notify's user time: the line's encoding alone (into a 64 KiB buffer, as the
// sink does; the time advancing 1 us per line) and the default clock alone.
void BM_tiny_encode_line(benchmark::State& st) {
  ix::jsonl_encoder enc("bench");
  auto r = sample_view();
  auto buf = std::make_unique<char[]>(1u << 16);
  std::size_t len = 0;
  for (auto _ : st) {
    if (len + enc.max_bytes(r) > (1u << 16)) len = 0;
    len = static_cast<std::size_t>(enc.encode_to(r, buf.get() + len) - buf.get());
    r.ts_ns += 1000;
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations());
}

void BM_clock_realtime(benchmark::State& st) {
  for (auto _ : st) benchmark::DoNotOptimize(ix::realtime_ns());
}

// The engine's lock against std::mutex, a lock/unlock pair uncontended, in a process with a
// second thread (registered after the threaded notify pair: glibc's own fast paths differ while
// the process has one thread).
template <class Mutex>
void lock_pair(benchmark::State& st) {
  start_second_thread();
  static Mutex mu;
  for (auto _ : st) {
    mu.lock();
    benchmark::ClobberMemory();
    mu.unlock();
  }
}
void BM_lock_pair_std_mutex(benchmark::State& st) { lock_pair<std::mutex>(st); }
void BM_lock_pair_inline_mutex(benchmark::State& st) { lock_pair<ix::detail::inline_mutex>(st); }

// state(): a table update plus a buffered line.
void BM_tiny_state_string(benchmark::State& st) {
  scratch s;
  bench_tiny ins(bench_config(s.dir));
  for (auto _ : st) {
    ins.state("container/3", "RECOVERING");
  }
  ins.flush();
  st.SetItemsProcessed(st.iterations());
}

void BM_tiny_state_int(benchmark::State& st) {
  scratch s;
  bench_tiny ins(bench_config(s.dir));
  std::int64_t v = 0;
  for (auto _ : st) {
    ins.state("cache.bytes", ++v);
  }
  ins.flush();
  st.SetItemsProcessed(st.iterations());
}

// A disabled call: count() on the tiny tier, which does not record metrics. The name and the
// argument are laundered through DoNotOptimize so that the compiler cannot fold the loop away
// for a reason other than the call being empty; the empty loop does exactly the same.
void BM_tiny_disabled_count(benchmark::State& st) {
  scratch s;
  bench_tiny ins(bench_config(s.dir));
  std::string_view name = "controller.requests";
  std::int64_t n = 1;
  for (auto _ : st) {
    benchmark::DoNotOptimize(name);
    benchmark::DoNotOptimize(n);
    ins.count(name, n);
    benchmark::ClobberMemory();
  }
  if (ins.stats().records != 0) st.SkipWithError("a disabled call recorded something");
}

void BM_empty_loop(benchmark::State& st) {
  std::string_view name = "controller.requests";
  std::int64_t n = 1;
  for (auto _ : st) {
    benchmark::DoNotOptimize(name);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
}

}  // namespace

BENCHMARK(BM_tiny_notify);
BENCHMARK(BM_tiny_notify_coarse_clock);
BENCHMARK(BM_tiny_notify_tsc_clock);
BENCHMARK(BM_tiny_notify_buffer)->Arg(16 << 10)->Arg(32 << 10);
BENCHMARK(BM_spdlog_basic_file_sink_st);
BENCHMARK(BM_tiny_encode_line);
BENCHMARK(BM_clock_realtime);
BENCHMARK(BM_clock_tsc);
BENCHMARK(BM_clock_tsc_outside);
BENCHMARK(BM_tiny_state_string);
BENCHMARK(BM_tiny_state_int);
BENCHMARK(BM_tiny_disabled_count);
BENCHMARK(BM_empty_loop);
BENCHMARK(BM_tiny_notify_threaded);
BENCHMARK(BM_tiny_notify_tsc_clock_threaded);
BENCHMARK(BM_spdlog_basic_file_sink_mt_threaded);
BENCHMARK(BM_lock_pair_std_mutex);
BENCHMARK(BM_lock_pair_inline_mutex);
BENCHMARK(BM_tiny_notify_contended)->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK(BM_spdlog_basic_file_sink_mt_contended)->Threads(2)->Threads(4)->UseRealTime();

BENCHMARK_MAIN();
