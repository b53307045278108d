// The product's call on the stream-store tiers (issue 18, item 3): notify() with 3 attributes
// on introspection<tier::medium> (its real defaults, a store in a fresh directory), timed one
// call at a time with rdtsc (an empty rdtsc pair subtracted), in one run:
//
//  - paced at 1 000 and 10 000 calls/s: the product sleeps between calls (clock_nanosleep), as
//    a product does, so each call starts after the core ran something else;
//  - back to back (a flush() every 1 000 calls, so the queue never fills): the call, warm;
//  - the floor: a call that cannot be cheaper, at the same rates after the same sleep: a
//    non-inlined function that stores one atomic word to a cache line another thread reads;
//  - the peer: spdlog's async logger (null sink, the same message and attributes).
//
// Usage: bench_notify [seconds per paced rate, default 2]
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <introspect/introspect.hpp>

#if INTROSPECT_BENCH_SPDLOG
#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#endif

namespace ix = introspect;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

fs::path fresh_dir(const std::string& tag) {
  const char* base = std::getenv("INTROSPECT_BENCH_DIR");
  std::random_device rd;
  auto p = fs::path(base && *base ? base : "/tmp") /
           ("ix-notify-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(p);
  return p;
}

std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string l;
  std::getline(f, l);
  return l;
}

double ns_per_tick() {
  static const double v = [] {
    const auto t0 = clk::now();
    const auto c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto c1 = __rdtsc();
    const auto t1 = clk::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(c1 - c0);
  }();
  return v;
}

double rdtsc_overhead_ticks() {
  std::vector<std::uint64_t> v(10000);
  for (auto& x : v) {
    _mm_lfence();
    const auto a = __rdtsc();
    _mm_lfence();
    const auto b = __rdtsc();
    x = b - a;
  }
  std::sort(v.begin(), v.end());
  return double(v[v.size() / 2]);
}

template <class Fn>
[[gnu::always_inline]] inline std::uint64_t timed(Fn&& fn) {
  _mm_lfence();
  const auto a = __rdtsc();
  _mm_lfence();
  fn();
  _mm_lfence();
  const auto b = __rdtsc();
  return b - a;
}

struct pct {
  double p50, p99, p999;
};
pct percentiles(std::vector<std::uint64_t>& v, double overhead) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    const auto t = double(v[std::min(v.size() - 1, std::size_t(q * double(v.size())))]);
    return std::max(0.0, t - overhead) * ns_per_tick();
  };
  return {at(0.50), at(0.99), at(0.999)};
}

using medium = ix::introspection<ix::tier::medium>;

void notify3(medium& ins, std::uint64_t i) {
  ins.notify(ix::severity::warning, "disk nearly full",
             {{"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}});
}

// The floor: one relaxed store of a word on a line the reader thread below reads, in a call
// the compiler cannot inline or drop (what any product call that hands data to another thread
// must at least do).
struct alignas(64) shared_line {
  std::atomic<std::uint64_t> word{0};
};
[[gnu::noinline]] void floor_call(shared_line& l, std::uint64_t v) {
  l.word.store(v, std::memory_order_release);
}

// Reads the floor's line every millisecond, as a consumer that polls on its own tick.
class line_reader {
 public:
  explicit line_reader(shared_line& l)
      : thread_([this, &l] {
          while (!stop_.load(std::memory_order_relaxed)) {
            seen_ += l.word.load(std::memory_order_acquire);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~line_reader() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::uint64_t seen_ = 0;
  std::thread thread_;
};

// Sleeps until `deadline` (absolute, CLOCK_MONOTONIC), as a product between two calls.
void sleep_until(const timespec& deadline) {
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}
timespec add_ns(timespec t, std::int64_t ns) {
  t.tv_nsec += ns;
  while (t.tv_nsec >= 1'000'000'000) {
    t.tv_nsec -= 1'000'000'000;
    ++t.tv_sec;
  }
  return t;
}

// `call` timed one call at a time at `rate` calls/s, the product sleeping between calls.
template <class Call>
pct latency_at(double rate, double secs, double overhead, Call&& call) {
  const auto n = static_cast<std::size_t>(rate * secs);
  std::vector<std::uint64_t> v(n);
  timespec next{};
  clock_gettime(CLOCK_MONOTONIC, &next);
  const auto gap = static_cast<std::int64_t>(1e9 / rate);
  for (std::size_t i = 0; i < n; ++i) {
    next = add_ns(next, gap);
    sleep_until(next);
    v[i] = timed([&] { call(i); });
  }
  return percentiles(v, overhead);
}

// Back to back, `between(i)` run untimed before call i (e.g. a flush every 1 000 calls).
template <class Call, class Between>
pct latency_back_to_back(std::size_t n, double overhead, Call&& call, Between&& between) {
  std::vector<std::uint64_t> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    between(i);
    v[i] = timed([&] { call(i); });
  }
  return percentiles(v, overhead);
}

void row(const char* call, const char* rate, const pct& p) {
  std::printf("| %s | %s | %.1f | %.1f | %.1f |\n", call, rate, p.p50, p.p99, p.p999);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 2.0;
  std::printf("load (/proc/loadavg): %s\n", loadavg().c_str());
  const double ovh = rdtsc_overhead_ticks();
  std::printf("\n## notify() per call (ns; rdtsc pair of %.0f ticks subtracted, %.3f ns/tick)\n\n",
              ovh, ns_per_tick());
  std::printf("| call | rate | p50 | p99 | p99.9 |\n|---|---:|---:|---:|---:|\n");
  const double rates[] = {1000.0, 10000.0};
  {
    const auto dir = fresh_dir("latency");
    {
      medium ins{ix::config{.store = dir, .instance = "bench", .on_error = ix::ignore_errors}};
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      for (double rate : rates) {
        char r[32];
        std::snprintf(r, sizeof r, "%.0f/s", rate);
        row("introspect medium `notify()`, 3 attributes", r,
            latency_at(rate, secs, ovh, [&](std::size_t i) { notify3(ins, i); }));
      }
      row("introspect medium `notify()`, 3 attributes", "back to back",
          latency_back_to_back(
              200000, ovh, [&](std::size_t i) { notify3(ins, i); },
              [&](std::size_t i) {
                if (i % 1000 == 0) ins.flush();
              }));
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  {
    shared_line line;
    line_reader reader(line);
    for (double rate : rates) {
      char r[32];
      std::snprintf(r, sizeof r, "%.0f/s", rate);
      row("floor: a non-inlined store to a line another thread reads", r,
          latency_at(rate, secs, ovh, [&](std::size_t i) { floor_call(line, i); }));
    }
    row("floor: a non-inlined store to a line another thread reads", "back to back",
        latency_back_to_back(
            200000, ovh, [&](std::size_t i) { floor_call(line, i); }, [](std::size_t) {}));
  }
#if INTROSPECT_BENCH_SPDLOG
  {
    spdlog::init_thread_pool(8192, 1);
    auto sink = std::make_shared<spdlog::sinks::null_sink_mt>();
    auto log = std::make_shared<spdlog::async_logger>(
        "peer", sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (double rate : rates) {
      char r[32];
      std::snprintf(r, sizeof r, "%.0f/s", rate);
      row("spdlog async logger (null sink), same message", r,
          latency_at(rate, secs, ovh, [&](std::size_t i) {
            log->warn("disk nearly full disk={} used_pct={} node={}", "sdb", i % 100, "n1");
          }));
    }
    spdlog::shutdown();
  }
#endif
  std::printf("\nload at the end: %s\n", loadavg().c_str());
  return 0;
}
