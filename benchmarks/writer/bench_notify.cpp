// The product's call on the stream-store tiers (issue 18, item 3): notify() with 3 attributes
// on introspection<tier::medium> (its real defaults, a store in a fresh directory), timed one
// call at a time with rdtsc (an empty rdtsc pair subtracted), in one run:
//
//  - paced at 1 000 and 10 000 calls/s: the product sleeps between calls (clock_nanosleep), as
//    a product does, so each call starts after the core ran something else (and, on a kernel
//    with page-table isolation and no PCID, with an empty TLB);
//  - back to back (a flush() every 1 000 calls, so the queue never fills): the call, warm;
//  - the same back to back calls timed a batch at a time (a flush untimed before each batch),
//    as the mean ns per call of each batch: rdtsc here moves in steps of ~10 ns, the mean of a
//    batch resolves well below that (its row's p50/p99 are those of the batches' means). Batches
//    of 1 000 include one wake-up of the writer at its fill mark (the medium tier's writer wakes
//    at 512 queued records; ~10 us for that one call on this VM) and the writer draining beside
//    the product; batches of a sixteenth of the queue stay below the mark: the call alone;
//  - the same notification through the call-site API (notify<"message", "key"...>(severity,
//    values...): its constant bytes made at compile time), on the queue and on the rings;
//  - the same call with the engine's clock replaced by a function returning a constant: what
//    reading the time (the engine's default, CLOCK_REALTIME_COARSE through the vDSO) adds;
//  - the floor: a call that cannot be cheaper, at the same rates after the same sleep: a
//    non-inlined function that stores one atomic word to a cache line another thread reads, on
//    a page of its own (as the queue's slots are on pages the product's loop does not touch);
//  - the hand-off's floor, back to back: 96 bytes (the notification's size in a ring) copied
//    into a buffer of the caller's own, alone and with another thread reading each batch, and
//    48 bytes handed off (what a deferred design would hand over for the same call);
//  - the peer: spdlog's async logger (null sink, the same message and attributes);
//  - after the table, what each staging drops: one thread calling at 1 and 2 M calls/s for
//    2 s (the same call, a fresh store in /dev/shm per run), queue and per-thread rings in turn.
//
// Each repetition runs every call at every rate, one after the other (the order rotated from one
// repetition to the next); the table gives, per cell, the median over the repetitions of that
// repetition's percentile.
//
// Usage: bench_notify [seconds per paced rate, default 1] [repetitions, default 5]
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <introspect/introspect.hpp>

#include "bench_common.hpp"

#if INTROSPECT_BENCH_SPDLOG
#include <spdlog/async.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#endif

namespace ix = introspect;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

fs::path fresh_dir(const std::string& tag) { return bench::fresh_dir("ix-notify", tag); }

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
// The same tier with each recording thread's records staged in a ring of its own (opt-in).
using medium_rings = ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<>>;

template <class Ins>
void notify3(Ins& ins, std::uint64_t i) {
  ins.notify(ix::severity::warning, "disk nearly full",
             {{"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}});
}

// The same notification through the call-site API: message and keys as template arguments,
// their bytes made at compile time (pipeline/call_site.hpp).
template <class Ins>
void notify3_site(Ins& ins, std::uint64_t i) {
  ins.template notify<"disk nearly full", "disk", "used_pct", "node">(
      ix::severity::warning, "sdb", static_cast<std::int64_t>(i % 100), "n1");
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

// The floor's line at the start of a page of its own.
shared_line* line_on_own_page() {
  void* p = std::aligned_alloc(4096, 4096);
  if (!p) std::abort();
  std::memset(p, 0, 4096);
  return new (p) shared_line;
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

// The back-to-back floor of any design that hands a record to another thread: the bytes of one
// record (96, what the notification below takes in a ring: header and payload) copied into a
// buffer of the product's own, with nothing else to do. Alone, the buffer's lines stay in the
// calling core's cache; handed off, a reader thread reads each batch between batches (while the
// next batch runs it sleeps, as the writer does after a flush), so every line the call writes
// next was last read on the other core and must be taken back. The difference is what the
// hand-off itself costs on this machine, before any encoding. `Record` bytes a call: 96 (this
// notification in a ring), or 48 (what a deferred design — NanoLog's, Quill's — would hand over
// for it: the time, the call site's id, the severity and the three values unencoded).
template <std::size_t Record>
class copy_floor {
 public:
  static constexpr std::size_t record = Record, bytes = 1 << 20;
  explicit copy_floor(bool handed_off)
      : buf_(static_cast<char*>(std::aligned_alloc(64, bytes))), handed_off_(handed_off) {
    if (!buf_) std::abort();
    std::memset(buf_, 0, bytes);
    if (handed_off_) reader_ = std::thread([this] { read_loop(); });
  }
  copy_floor(const copy_floor&) = delete;
  copy_floor& operator=(const copy_floor&) = delete;
  ~copy_floor() {
    if (handed_off_) {
      {
        std::lock_guard lock(mu_);
        stop_ = true;
      }
      cv_.notify_all();
      reader_.join();
    }
    std::free(buf_);
  }
  //! One record: its bytes (an index in the first word) copied to the next position.
  [[gnu::always_inline]] void call(std::uint64_t i) noexcept {
    std::memcpy(src_, &i, sizeof i);
    std::memcpy(buf_ + (head_ & (bytes - 1)), src_, record);
    head_ += record;
    asm volatile("" ::: "memory");
  }
  //! Between batches: the reader reads what was written since the last settle, and is done.
  void settle() {
    if (!handed_off_) return;
    std::unique_lock lock(mu_);
    upto_ = head_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return read_ == upto_; });
  }

 private:
  void read_loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || read_ != upto_; });
      if (stop_) return;
      std::uint64_t sum = 0;
      for (std::size_t p = read_; p < upto_; p += 64) {
        std::uint64_t w;
        std::memcpy(&w, buf_ + (p & (bytes - 1)), sizeof w);
        sum += w;
      }
      seen_ += sum;
      read_ = upto_;
      cv_.notify_all();
    }
  }

  char* const buf_;
  const bool handed_off_;
  alignas(16) char src_[record] = {};
  std::size_t head_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t upto_ = 0, read_ = 0;
  bool stop_ = false;
  std::uint64_t seen_ = 0;
  std::thread reader_;
};

using bench::add_ns;
using bench::sleep_until;

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

// Back to back in batches of `batch` calls, each batch timed as a whole (`settle()` untimed
// before each batch): the mean ns per call of each batch, as percentiles over the batches.
template <class Call, class Settle>
pct mean_per_call(std::size_t batches, std::size_t batch, double overhead, Call&& call,
                  Settle&& settle) {
  std::vector<std::uint64_t> v(batches);
  for (std::size_t b = 0; b < batches; ++b) {
    settle();
    v[b] = timed([&] {
      for (std::size_t i = b * batch; i < (b + 1) * batch; ++i) call(i);
    });
  }
  auto p = percentiles(v, overhead);
  const double per = 1.0 / double(batch);
  return {p.p50 * per, p.p99 * per, p.p999 * per};
}

// One thread calls `notify3` at `rate` calls/s (in steps of 100 calls) for `secs` s on a fresh
// instance; prints calls/s achieved and the share dropped (stats after a flush).
template <class Ins>
void flood_row(const char* name, double rate, double secs) {
  const auto dir = bench::fresh_dir("ix-notify-flood", name);
  {
    Ins ins{ix::config{.store = dir, .instance = "flood", .on_error = ix::ignore_errors}};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto t0 = clk::now();
    const auto gap =
        std::chrono::duration_cast<clk::duration>(std::chrono::duration<double>(100 / rate));
    auto next = t0;
    std::uint64_t i = 0;
    while (clk::now() - t0 < std::chrono::duration<double>(secs)) {
      for (int k = 0; k < 100; ++k, ++i) notify3(ins, i);
      next += gap;
      std::this_thread::sleep_until(next);
    }
    const double el = std::chrono::duration<double>(clk::now() - t0).count();
    ins.flush();
    const auto st = ins.stats();
    std::printf("| %s | %.0f | %.0f | %.2f |\n", name, rate, double(i) / el,
                100.0 * double(st.dropped_buffer_full) / double(i));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

std::int64_t constant_clock() noexcept { return 1'700'000'000'000'000'000; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Percentiles of every (call, rate) over the repetitions, printed as medians in run order.
class table {
 public:
  void add(const std::string& call, const std::string& rate, const pct& p) {
    auto key = call + "\x1f" + rate;
    if (!cells_.count(key)) order_.push_back({call, rate});
    auto& c = cells_[key];
    c[0].push_back(p.p50);
    c[1].push_back(p.p99);
    c[2].push_back(p.p999);
  }
  void print() const {
    std::printf("| call | rate | p50 | p99 | p99.9 | p50 of each repetition |\n");
    std::printf("|---|---:|---:|---:|---:|---|\n");
    for (const auto& [call, rate] : order_) {
      const auto& c = cells_.at(call + "\x1f" + rate);
      // Means per call are given to a tenth of a ns; single calls (steps of ~10 ns) to one.
      const bool fine = rate.find("mean") != std::string::npos;
      auto fmt = [&](double v) {
        char b[32];
        std::snprintf(b, sizeof b, fine ? "%.1f" : "%.0f", v);
        return std::string(b);
      };
      std::string each;
      for (double v : c[0]) each += (each.empty() ? "" : " ") + fmt(v);
      std::printf("| %s | %s | %s | %s | %s | %s |\n", call.c_str(), rate.c_str(),
                  fmt(median(c[0])).c_str(), fmt(median(c[1])).c_str(), fmt(median(c[2])).c_str(),
                  each.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> order_;
  std::map<std::string, std::array<std::vector<double>, 3>> cells_;
};

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
  const int reps = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::printf("load (/proc/loadavg): %s\n", loadavg().c_str());
  const double ovh = rdtsc_overhead_ticks();
  std::printf(
      "rdtsc pair of %.0f ticks subtracted, %.3f ns/tick; %.1f s per paced rate, %d "
      "repetitions\n\n",
      ovh, ns_per_tick(), secs, reps);
  const char* rates[] = {"1000/s", "10000/s"};
  const double rate_of[] = {1000.0, 10000.0};
  table t;

  std::vector<fs::path> dirs{fresh_dir("latency"), fresh_dir("latency-const"),
                             fresh_dir("latency-rings"), fresh_dir("latency-rings-const")};
  medium ins{ix::config{.store = dirs[0], .instance = "bench", .on_error = ix::ignore_errors}};
  medium ins_const{ix::config{.store = dirs[1],
                              .instance = "bench",
                              .clock = &constant_clock,
                              .on_error = ix::ignore_errors}};
  medium_rings ins_rings{
      ix::config{.store = dirs[2], .instance = "bench", .on_error = ix::ignore_errors}};
  medium_rings ins_rings_const{ix::config{.store = dirs[3],
                                          .instance = "bench",
                                          .clock = &constant_clock,
                                          .on_error = ix::ignore_errors}};
  shared_line* line = line_on_own_page();
  line_reader reader(*line);
  copy_floor<96> copy_alone(false), copy_handed(true);
  copy_floor<48> copy48_handed(true);
#if INTROSPECT_BENCH_SPDLOG
  spdlog::init_thread_pool(8192, 1);
  auto sink = std::make_shared<spdlog::sinks::null_sink_mt>();
  auto log = std::make_shared<spdlog::async_logger>("peer", sink, spdlog::thread_pool(),
                                                    spdlog::async_overflow_policy::overrun_oldest);
#endif
  // One call at both rates, then back to back with `settle()` (the flush) untimed every 1 000
  // calls, then in timed batches. The calls are lambdas inlined into the timed region (no
  // indirect call is timed).
  const std::size_t quiet = ins.engine().queue_capacity() / 16;
  const std::string quiet_rate = "back to back, mean of " + std::to_string(quiet);
  auto measure = [&](const char* name, auto&& call, auto&& settle, bool back_to_back,
                     bool paced = true) {
    if (paced)
      for (int r = 0; r < 2; ++r) t.add(name, rates[r], latency_at(rate_of[r], secs, ovh, call));
    if (!back_to_back) return;
    auto between = [&](std::size_t i) {
      if (i % 1000 == 0) settle();
    };
    t.add(name, "back to back", latency_back_to_back(200000, ovh, call, between));
    t.add(name, "back to back, mean of 1000", mean_per_call(200, 1000, ovh, call, settle));
    t.add(name, quiet_rate, mean_per_call(200000 / quiet, quiet, ovh, call, settle));
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Every call's measurement, run in a rotated order per repetition: whichever runs first after
  // another's paced run starts from a different state, so no call always takes that place.
  std::vector<std::function<void()>> steps;
  // A product call on one of the instances, its settle() the instance's flush().
  auto call_step = [&](const char* name, auto& target, auto call) {
    steps.push_back([&, name, t = &target, call] {
      measure(
          name, [t, call](std::size_t i) { call(*t, i); }, [t] { t->flush(); }, true);
    });
  };
  const auto plain = [](auto& x, std::size_t i) { notify3(x, i); };
  const auto site = [](auto& x, std::size_t i) { notify3_site(x, i); };
  call_step("introspect medium `notify()`, 3 attributes", ins, plain);
  call_step("the same, the clock a constant function (the time read's share)", ins_const, plain);
  call_step("introspect medium + per_thread_rings `notify()`, 3 attributes", ins_rings, plain);
  call_step("the same (rings), the clock a constant function", ins_rings_const, plain);
  call_step("introspect medium `notify<\"message\", \"key\"...>()` (call site), 3 attributes", ins,
            site);
  call_step("the same (call site) + per_thread_rings", ins_rings, site);
  steps.push_back([&] {
    measure(
        "floor: a non-inlined store to a line another thread reads",
        [&](std::size_t i) { floor_call(*line, i); }, [] {}, true);
  });
  // The copy floors, back to back only (paced, nothing would read their bytes).
  auto copy_step = [&](const char* name, auto& floor) {
    steps.push_back([&, name, f = &floor] {
      measure(
          name, [f](std::size_t i) { f->call(i); }, [f] { f->settle(); }, true, false);
    });
  };
  copy_step("floor: 96 bytes copied into the thread's own buffer", copy_alone);
  copy_step("floor: the same, each batch read by another thread (the hand-off)", copy_handed);
  copy_step("floor: 48 bytes (a deferred design's record), handed off", copy48_handed);
#if INTROSPECT_BENCH_SPDLOG
  // Paced only: back to back would measure its queue filling.
  steps.push_back([&] {
    measure(
        "spdlog async logger (null sink), same message",
        [&](std::size_t i) {
          log->warn("disk nearly full disk={} used_pct={} node={}", "sdb", i % 100, "n1");
        },
        [] {}, false);
  });
#endif
  for (int rep = 0; rep < reps; ++rep) {
    for (std::size_t k = 0; k < steps.size(); ++k) steps[(k + std::size_t(rep)) % steps.size()]();
    std::fprintf(stderr, "repetition %d of %d done, load %s\n", rep + 1, reps, loadavg().c_str());
  }
  t.print();
  std::printf(
      "\n| one thread flooding | target calls/s | achieved | %% dropped |\n|---|---:|---:|---:|\n");
  for (double rate : {1e6, 2e6}) {
    flood_row<medium>("medium (shared queue)", rate, 2.0);
    flood_row<medium_rings>("medium + per_thread_rings", rate, 2.0);
  }
#if INTROSPECT_BENCH_SPDLOG
  spdlog::shutdown();
#endif
  std::printf("\nload at the end: %s\n", loadavg().c_str());
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::remove_all(d, ec);
  }
  return 0;
}
