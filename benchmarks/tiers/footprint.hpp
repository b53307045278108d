#pragma once
// The per-tier footprint harness: one executable per tier instantiates the tier's real
// introspection type through configure() + instance(), drives a fixed workload at a fixed rate,
// and measures what the tier costs the process: threads, heap and RSS, one tick(), and the
// writer thread's CPU per cadence period. Templates differ per tier, hence one binary each (their
// text sizes are then the tiers' footprints with the same harness around them).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include <introspect/introspect.hpp>

namespace tiers_bench {

namespace ix = introspect;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

//! A fresh store directory under $INTROSPECT_BENCH_DIR or /tmp, removed at exit.
class temp_dir {
 public:
  explicit temp_dir(const std::string& tag) {
    const char* base = std::getenv("INTROSPECT_BENCH_DIR");
    std::random_device rd;
    path_ = fs::path(base && *base ? base : "/tmp") /
            ("ix-tiers-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

//! The tiny tier's clock: real time plus an offset the tick() measurement advances by one
//! period, so that each measured tick() finds its period elapsed (and does the period's work).
inline std::atomic<std::int64_t> clock_offset_ns{0};
inline std::int64_t offset_clock() noexcept {
  return ix::realtime_ns() + clock_offset_ns.load(std::memory_order_relaxed);
}

// ---- what the process holds -------------------------------------------------------------

//! Bytes the allocator has handed out (all arenas; mmapped chunks included).
inline std::size_t heap_in_use() {
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

inline std::size_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

inline std::set<int> task_ids() {
  std::set<int> out;
  for (const auto& e : fs::directory_iterator("/proc/self/task"))
    out.insert(std::atoi(e.path().filename().c_str()));
  return out;
}

//! CPU time a thread has run, in ns (schedstat: exact; stat's utime+stime has 10 ms ticks).
inline std::uint64_t thread_cpu_ns(int tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/schedstat");
  std::uint64_t ns = 0;
  if (in >> ns) return ns;
  std::ifstream st("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(st, line);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f;
  std::string tok;
  for (std::size_t i = close + 2; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ' ') {
      f.push_back(tok);
      tok.clear();
    } else {
      tok.push_back(line[i]);
    }
  }
  if (f.size() < 13) return 0;
  const auto ticks = std::stoull(f[11]) + std::stoull(f[12]);  // utime, stime (fields 14, 15)
  return ticks * 1'000'000'000ull / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
}

inline std::string thread_name(int tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

inline std::uint64_t cpu_ns(const std::set<int>& tids) {
  std::uint64_t sum = 0;
  for (int t : tids) sum += thread_cpu_ns(t);
  return sum;
}

inline std::set<int> minus(const std::set<int>& a, const std::set<int>& b) {
  std::set<int> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

// ---- statistics -------------------------------------------------------------------------

struct quantiles {
  double p50 = 0, p99 = 0, max = 0;
};

inline quantiles quantiles_of(std::vector<double> v) {
  quantiles q;
  if (v.empty()) return q;
  std::sort(v.begin(), v.end());
  const auto at = [&](double p) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  q.p50 = at(0.50);
  q.p99 = at(0.99);
  q.max = v.back();
  return q;
}

inline double ns_since(clk::time_point t0) {
  return std::chrono::duration<double, std::nano>(clk::now() - t0).count();
}

//! Median cost of reading steady_clock twice (subtracted from nothing: printed beside timings).
inline double clock_overhead_ns() {
  std::vector<double> v;
  for (int i = 0; i < 20000; ++i) {
    const auto t0 = clk::now();
    v.push_back(ns_since(t0));
  }
  return quantiles_of(std::move(v)).p50;
}

inline std::string human_bytes(double b) {
  char buf[64];
  const double a = b < 0 ? -b : b;
  if (a >= 1024.0 * 1024.0)
    std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024.0));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  return buf;
}

inline std::string human_ns(double ns) {
  char buf[64];
  if (ns >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  else if (ns >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1f µs", ns / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  return buf;
}

// ---- the workload -----------------------------------------------------------------------

//! A user struct (recorded by the large and uber tiers; compiled out below them).
struct DiskHealth {
  BOOST_HANA_DEFINE_STRUCT(DiskHealth, (std::string_view, disk), (std::int64_t, used_bytes),
                           (double, used_pct));
};

inline constexpr std::string_view container_keys[] = {"container/0", "container/1", "container/2",
                                                      "container/3", "container/4", "container/5",
                                                      "container/6", "container/7"};
inline constexpr std::string_view container_states[] = {"RUNNING", "RECOVERING", "OFFLINE",
                                                        "STARTING"};
inline constexpr std::string_view disks[] = {"sda", "sdb", "sdc", "sdd"};

//! The fixed mix, 10 calls: 2 state, 1 notify, 3 count, 2 gauge, 1 observe, 1 record. A tier
//! that does not record a kind compiles that call to nothing (tiny: only state and notify).
template <class Ins>
void mix(Ins& ins, std::uint64_t i) {
  ins.state(container_keys[i % 8], container_states[(i / 8) % 4]);
  ins.state("segmentstore.cache.mode", (i / 16) % 2 ? "evicting" : "filling");
  ins.notify(ix::severity::info, "segment sealed",
             {{"segment", static_cast<std::int64_t>(i)}, {"disk", disks[i % 4]}});
  ins.count("controller.requests");
  ins.count("segmentstore.appends", 3);
  ins.count("bookkeeper.entries");
  ins.gauge("segmentstore.cache.bytes", static_cast<std::int64_t>(1'000'000 + (i % 977) * 4096));
  ins.gauge("bookkeeper.ledgers.open", static_cast<std::int64_t>(i % 13));
  ins.observe("bookkeeper.write.latency_us", static_cast<double>(50 + (i * 7919) % 400));
  ins.record(DiskHealth{disks[i % 4], static_cast<std::int64_t>(i % 1000) << 20,
                        static_cast<double>(i % 100)});
}
inline constexpr int calls_per_mix = 10;

//! K records every tier keeps (half state, half notification): what a tick()/period writes.
template <class Ins>
void pending_records(Ins& ins, int k, std::uint64_t seed) {
  for (int j = 0; j < k; ++j) {
    const auto i = seed + static_cast<std::uint64_t>(j);
    if (j % 2 == 0)
      ins.state(container_keys[i % 8], container_states[(i / 8) % 4]);
    else
      ins.notify(ix::severity::info, "segment sealed",
                 {{"segment", static_cast<std::int64_t>(i)}, {"disk", disks[i % 4]}});
  }
}

// ---- options ----------------------------------------------------------------------------

struct options {
  double seconds = 0;  // steady window; 0: from the tier's period (see window_for)
  double warmup = 2;
  int rate = 1000;  // calls per second (the mix, 10 calls at a time)
  bool quick = false;
  bool flood = false;  // the mix back to back, no pause: the product floods

  static options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
      const std::string_view a = argv[i];
      const auto next = [&]() -> const char* {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "%s needs a value\n", argv[i]);
          std::exit(2);
        }
        return argv[++i];
      };
      if (a == "--seconds")
        o.seconds = std::atof(next());
      else if (a == "--warmup")
        o.warmup = std::atof(next());
      else if (a == "--rate")
        o.rate = std::atoi(next());
      else if (a == "--quick")
        o.quick = true;
      else if (a == "--flood")
        o.flood = true;
      else {
        std::fprintf(
            stderr,
            "usage: %s [--seconds S] [--warmup S] [--rate CALLS_PER_S] [--flood] [--quick]\n"
            "unknown argument: %s\n",
            argv[0], argv[i]);
        std::exit(2);
      }
    }
    if (o.quick) {
      if (o.seconds == 0) o.seconds = 3;
      o.warmup = std::min(o.warmup, 0.5);
    }
    if (o.rate < calls_per_mix) o.rate = calls_per_mix;
    return o;
  }
};

//! The cadence period the engine works at (continuous: 1 s, its snapshot/source period).
template <class Ins>
constexpr std::int64_t period_ns() {
  return Ins::cadence::period_ns > 0 ? Ins::cadence::period_ns : 1'000'000'000;
}

// The steady window covers whole periods: a 60 s tier gets one period's work (65 s), faster
// ones three periods, at least 10 s.
template <class Ins>
double window_for(const options& o) {
  if (o.seconds > 0) return o.seconds;
  const double p = static_cast<double>(period_ns<Ins>()) / 1e9;
  return p >= 60 ? p + 5 : std::max(10.0, 3 * p);
}

// ---- the run ----------------------------------------------------------------------------

struct sample {
  std::size_t heap = 0, rss = 0, threads = 0;
  static sample now() { return {heap_in_use(), rss_bytes(), task_ids().size()}; }
};

//! What the product's thread spent in the workload's calls.
struct drive_result {
  double ns_per_call = 0;  // mean over the window
  quantiles mix;           // per mix of 10 calls
  double period_call = 0;  // tiny: the longest call that did the period's work (wrote the file)
};

//! Drives the workload for `seconds` at `rate` (or back to back with `flood`); the product
//! calls tick() once a second. `mixes` holds the per-mix times: reserved by the caller before
//! the heap is first measured, so that the harness's own buffer is not counted as the tier's.
template <class Ins>
drive_result drive(Ins& ins, double seconds, int rate, std::uint64_t& i, std::vector<double>& mixes,
                   std::vector<sample>* samples = nullptr, bool flood = false) {
  // Only the tiny tier writes in the caller's thread: its engine's flush count says which call.
  constexpr bool caller_writes = Ins::threads == 0;
  const auto flushes = [&] { return caller_writes ? ins.stats().flushes : 0; };
  const auto batches_per_s = rate / calls_per_mix;
  const auto step = std::chrono::nanoseconds(1'000'000'000 / batches_per_s);
  const auto t_end = clk::now() + std::chrono::duration_cast<clk::duration>(
                                      std::chrono::duration<double>(seconds));
  auto next = clk::now();
  auto next_tick = next + std::chrono::seconds(1);
  auto next_sample = next + std::chrono::seconds(1);
  drive_result out;
  mixes.clear();
  double busy_ns = 0;
  std::uint64_t calls = 0;
  while (next < t_end) {
    auto f0 = flushes();
    auto t0 = clk::now();
    mix(ins, i++);
    double took = ns_since(t0);
    if (mixes.size() < mixes.capacity()) mixes.push_back(took);  // flood: the first ones
    busy_ns += took;
    calls += calls_per_mix;
    if (flushes() != f0) out.period_call = std::max(out.period_call, took);
    const auto t = clk::now();
    if (t >= next_tick) {  // the product's idle hook
      f0 = flushes();
      t0 = clk::now();
      ins.tick();
      took = ns_since(t0);
      if (flushes() != f0) out.period_call = std::max(out.period_call, took);
      next_tick += std::chrono::seconds(1);
    }
    if (samples && t >= next_sample) {
      samples->push_back(sample::now());
      next_sample += std::chrono::seconds(1);
    }
    if (flood) {
      if (t >= t_end) break;
      continue;
    }
    next += step;
    std::this_thread::sleep_until(next);
  }
  out.ns_per_call = calls ? busy_ns / static_cast<double>(calls) : 0;
  out.mix = quantiles_of(mixes);
  return out;
}

//! The same mix back to back (warm caches), ns per call; `mixes` small enough that the tiny
//! tier's buffer and the store tiers' queue do not fill.
template <class Ins>
double hot_mix_ns(Ins& ins, std::uint64_t& i, int mixes = 1000) {
  const auto t0 = clk::now();
  for (int m = 0; m < mixes; ++m) mix(ins, i++);
  return ns_since(t0) / (mixes * calls_per_mix);
}

struct tick_costs {
  quantiles hot;                   // tight loop, per call (batch means)
  quantiles pending;               // one tick() after K records, individually timed
  quantiles period_wall;           // store tiers: flush() wall with K records pending
  std::vector<double> period_cpu;  // store tiers: introspection threads' CPU per forced period
};

inline void print_q(const char* what, const quantiles& q) {
  std::printf("  %-58s p50 %10s  p99 %10s  max %10s\n", what, human_ns(q.p50).c_str(),
              human_ns(q.p99).c_str(), human_ns(q.max).c_str());
}

//! Runs the whole measurement for one tier; `c` says where the store is.
template <class Ins>
int run(const char* tier_name, typename Ins::config c, const options& o) {
  constexpr bool store_tier = Ins::threads > 0;
  constexpr bool null_engine = std::is_same_v<typename Ins::engine_type, ix::null_engine>;
  constexpr std::int64_t period = period_ns<Ins>();
  const double window = window_for<Ins>(o);

  std::printf(
      "== tier %s: threads (declared) %d, cadence period %.0f s, rate %s, "
      "warm-up %.1f s, window %.0f s\n",
      tier_name, Ins::threads, static_cast<double>(period) / 1e9,
      o.flood ? "flood (back to back)" : (std::to_string(o.rate) + " calls/s").c_str(), o.warmup,
      window);
  const double clock_ns = clock_overhead_ns();
  std::vector<double> mixes;  // the harness's timing buffer, before the first heap sample
  mixes.reserve(static_cast<std::size_t>(std::max(o.warmup, window) * (o.rate / calls_per_mix)) +
                16);
  std::vector<sample> steady;  // one per second of the window, also reserved before
  steady.reserve(static_cast<std::size_t>(window) + 8);

  // Before the instance exists.
  const auto tids0 = task_ids();
  const sample s0 = sample::now();

  c.instance = "bench";
  if (!Ins::configure(std::move(c))) return 1;
  auto& ins = Ins::instance();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the writer opens the store
  const auto tids1 = task_ids();
  const sample s1 = sample::now();

  // Warm-up, then the steady window with a sample per second.
  std::uint64_t i = 0;
  drive(ins, o.warmup, o.rate, i, mixes, nullptr, o.flood);
  const auto tids_w = minus(task_ids(), tids0);
  const auto cpu_w0 = cpu_ns(tids_w);
  std::vector<std::uint64_t> per_thread0;
  for (int t : tids_w) per_thread0.push_back(thread_cpu_ns(t));
  const auto main_cpu0 = thread_cpu_ns(static_cast<int>(::gettid()));
  const auto w0 = clk::now();
  const auto calls = drive(ins, window, o.rate, i, mixes, &steady, o.flood);
  const double window_s = std::chrono::duration<double>(clk::now() - w0).count();
  const auto cpu_w1 = cpu_ns(tids_w);
  std::string per_thread;
  {
    std::size_t n = 0;
    for (int t : tids_w) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s[%d %s] %s", per_thread.empty() ? "" : ", ", t,
                    thread_name(t).c_str(),
                    human_ns(static_cast<double>(thread_cpu_ns(t) - per_thread0[n++])).c_str());
      per_thread += buf;
    }
  }
  const auto main_cpu1 = thread_cpu_ns(static_cast<int>(::gettid()));
  const sample s2 = sample::now();
  std::size_t heap_max = 0, rss_max = 0, threads_max = 0;
  for (const auto& s : steady) {
    heap_max = std::max(heap_max, s.heap);
    rss_max = std::max(rss_max, s.rss);
    threads_max = std::max(threads_max, s.threads);
  }
  const auto st = ins.stats();

  const auto d = [](std::size_t a, std::size_t b) {
    return static_cast<double>(a) - static_cast<double>(b);
  };
  const double periods = window_s * 1e9 / static_cast<double>(period);
  const double writer_cpu = static_cast<double>(cpu_w1 - cpu_w0);
  std::printf("threads: before %zu, after configure+instance() %zu (+%zd), max in window %zu\n",
              tids0.size(), tids1.size(),
              static_cast<std::ptrdiff_t>(tids1.size()) - static_cast<std::ptrdiff_t>(tids0.size()),
              threads_max);
  std::printf("heap in use: before %s; +%s after construction; +%s at window end, max +%s\n",
              human_bytes(static_cast<double>(s0.heap)).c_str(),
              human_bytes(d(s1.heap, s0.heap)).c_str(), human_bytes(d(s2.heap, s0.heap)).c_str(),
              human_bytes(d(heap_max, s0.heap)).c_str());
  std::printf("RSS: before %s; +%s after construction; +%s at window end, max +%s\n",
              human_bytes(static_cast<double>(s0.rss)).c_str(),
              human_bytes(d(s1.rss, s0.rss)).c_str(), human_bytes(d(s2.rss, s0.rss)).c_str(),
              human_bytes(d(rss_max, s0.rss)).c_str());
  std::printf(
      "workload: %.1f s, %llu records accepted, %llu dropped; product thread %.0f ns per "
      "call of the mix (timed, clock read %.0f ns), %.2f %% of a core\n"
      "  one mix of 10 calls: p50 %s, p99 %s, max %s; the call that wrote the period: %s\n",
      window_s, static_cast<unsigned long long>(st.records),
      static_cast<unsigned long long>(st.dropped()), calls.ns_per_call, clock_ns,
      100.0 * static_cast<double>(main_cpu1 - main_cpu0) / (window_s * 1e9),
      human_ns(calls.mix.p50).c_str(), human_ns(calls.mix.p99).c_str(),
      human_ns(calls.mix.max).c_str(),
      store_tier || null_engine ? "none (no I/O in the caller)"
                                : human_ns(calls.period_call).c_str());
  const double hot_ns = hot_mix_ns(ins, i);
  std::printf("  the mix back to back (warm caches): %.0f ns per call\n", hot_ns);
  std::printf(
      "introspection threads' CPU in the window: %s (%.3f %% of a core), %s per period "
      "(%.1f periods)\n",
      human_ns(writer_cpu).c_str(), 100.0 * writer_cpu / (window_s * 1e9),
      human_ns(writer_cpu / periods).c_str(), periods);
  if (!per_thread.empty()) std::printf("  per thread: %s\n", per_thread.c_str());

  // ---- tick() ----
  tick_costs tc;
  {
    const int batches = o.quick ? 50 : 300;
    constexpr int per_batch = 1000;
    std::vector<double> v;
    for (int b = 0; b < batches; ++b) {
      const auto t0 = clk::now();
      for (int j = 0; j < per_batch; ++j) ins.tick();
      v.push_back(ns_since(t0) / per_batch);
    }
    tc.hot = quantiles_of(std::move(v));
  }
  std::printf("tick(), tight loop (mean of 1000 calls, %s):\n",
              store_tier ? "wakes the writer if it sleeps" : "period not elapsed");
  print_q("per call", tc.hot);

  struct k_row {
    int k;
    quantiles tick, wall;
    double cpu_p50 = 0, cpu_p99 = 0;
  };
  std::vector<k_row> rows;
  for (const int k : {100, 1000, 5000}) {
    const int samples = o.quick ? 10 : (k >= 5000 ? 30 : 100);
    std::vector<double> tick_v, wall_v, cpu_v;
    for (int s = 0; s < samples; ++s) {
      pending_records(ins, k, i);
      i += static_cast<std::uint64_t>(k);
      if constexpr (!store_tier)  // the period elapses: this tick() writes the K records
        clock_offset_ns.fetch_add(period, std::memory_order_relaxed);
      const auto t0 = clk::now();
      ins.tick();
      tick_v.push_back(ns_since(t0));
      if constexpr (store_tier) {
        // The writer's period work on K records, forced: flush() drains them, runs the period
        // (snapshot, sources, store tick, checkpoint) and waits for it.
        const auto tids = minus(task_ids(), tids0);
        const auto c0 = cpu_ns(tids);
        const auto f0 = clk::now();
        ins.flush();
        wall_v.push_back(ns_since(f0));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // writer back to sleep
        cpu_v.push_back(static_cast<double>(cpu_ns(tids) - c0));
      }
    }
    k_row r{k, quantiles_of(tick_v), quantiles_of(wall_v)};
    const auto cq = quantiles_of(cpu_v);
    r.cpu_p50 = cq.p50;
    r.cpu_p99 = cq.p99;
    rows.push_back(r);
    char what[96];
    std::snprintf(what, sizeof what, "tick() with %d records pending (%s)", k,
                  store_tier    ? "wakes the writer"
                  : null_engine ? "does nothing"
                                : "writes them");
    print_q(what, r.tick);
    if constexpr (store_tier) {
      std::snprintf(what, sizeof what, "flush() with %d records pending, wall", k);
      print_q(what, r.wall);
      std::printf("  %-58s p50 %10s  p99 %10s\n", "  introspection threads' CPU for it",
                  human_ns(r.cpu_p50).c_str(), human_ns(r.cpu_p99).c_str());
    }
  }

  // One markdown row for run.sh (it appends the binary's text size).
  const auto& r1000 = rows[1];
  std::string steady_work, forced;
  if constexpr (store_tier) {
    steady_work = human_ns(writer_cpu / periods) + " CPU per " +
                  std::to_string(period / 1'000'000'000) + " s (thread" +
                  (tids_w.size() > 1 ? "s" : "") + ")";
    forced = human_ns(r1000.cpu_p50) + " CPU, " + human_ns(r1000.wall.p50) + " wall";
  } else if constexpr (null_engine) {
    steady_work = forced = "none";
  } else {
    steady_work = human_ns(calls.period_call) + " in the product call that wrote the file";
    forced = "in `tick()`: " + human_ns(r1000.tick.p50);
  }
  std::printf(
      "ROW| %s | %zd | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s / %s |\n", tier_name,
      static_cast<std::ptrdiff_t>(tids1.size()) - static_cast<std::ptrdiff_t>(tids0.size()),
      human_bytes(d(s1.heap, s0.heap)).c_str(), human_bytes(d(heap_max, s0.heap)).c_str(),
      human_bytes(d(s1.rss, s0.rss)).c_str(), human_bytes(d(rss_max, s0.rss)).c_str(),
      human_ns(tc.hot.p50).c_str(), human_ns(tc.hot.p99).c_str(), human_ns(r1000.tick.p50).c_str(),
      human_ns(r1000.tick.p99).c_str(), steady_work.c_str(), forced.c_str(),
      human_ns(calls.mix.p50).c_str(), human_ns(calls.mix.p99).c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace tiers_bench
