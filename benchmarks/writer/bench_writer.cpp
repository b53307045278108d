// The threaded engine's writer and the product's call (issue 18, items 3 and 5), in one run:
//
//  1. rate sweep: introspection<tier::medium> (its real defaults: insights, process and host
//     sources, on_tick durability, a store in a fresh directory) fed notify() with 3 attributes
//     by one product thread at a target rate; achieved rate, drop %, and the writer thread's CPU
//     per record (its thread CPU clock, clock_gettime on the id pthread_getcpuclockid gives),
//     and the CPU of the store's compactor thread ("ix-compactor": sealed segments are
//     compressed there, never on the writer's thread) and the segments it compacted; and what
//     makes the writer's CPU per record differ between rates: its wake-ups per second (voluntary
//     context switches: each is a futex sleep and wake-up, kernel time charged to the writer),
//     the share of its CPU spent in the kernel (utime/stime), and how long it waited runnable
//     for a core (schedstat's run-queue delay: preemption by other processes);
//  2. up-front memory per store tier: heap (mallinfo2) and RSS (/proc/self/statm) added by
//     constructing the tier's type, each in a child process.
//
// notify()'s own latency per call (and its floor) is bench_notify.cpp.
//
// Usage: [INTROSPECT_BENCH_QUEUE_SLOTS=n] bench_writer [seconds per rate, default 1] [rates...]
#include <malloc.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <introspect/introspect.hpp>

#include "bench_common.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

fs::path fresh_dir(const std::string& tag) { return bench::fresh_dir("ix-writer", tag); }

std::set<long> task_ids() {
  std::set<long> out;
  for (const auto& e : fs::directory_iterator("/proc/self/task"))
    out.insert(std::stol(e.path().filename().string()));
  return out;
}

// The thread of this process named `name` (0: none).
long task_named(const char* name) {
  for (const auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream f(e.path() / "comm");
    std::string comm;
    std::getline(f, comm);
    if (comm == name) return std::stol(e.path().filename().string());
  }
  return 0;
}

// The CPU clock of thread `tid` of this process: the clock id glibc's pthread_getcpuclockid
// makes (Linux: CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD_MASK over ~tid), for a thread whose
// pthread_t the benchmark does not hold (the engine's writer).
std::int64_t thread_cpu_ns(long tid) {
  const clockid_t id = static_cast<clockid_t>((~static_cast<unsigned long>(tid) << 3) | 6);
  timespec ts{};
  if (clock_gettime(id, &ts) != 0) return -1;
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The scheduler's view of thread `tid`: voluntary context switches (sleeps), time runnable but
// waiting for a core (/proc/.../schedstat, ns), and user and kernel CPU (/proc/.../stat, ticks).
struct sched_view {
  std::uint64_t sleeps = 0, runq_wait_ns = 0, utime = 0, stime = 0;
};
sched_view sched_of(long tid) {
  sched_view v;
  const auto dir = fs::path("/proc/self/task") / std::to_string(tid);
  {
    std::ifstream f(dir / "status");
    for (std::string l; std::getline(f, l);)
      if (l.rfind("voluntary_ctxt_switches:", 0) == 0) v.sleeps = std::stoull(l.substr(24));
  }
  {
    std::ifstream f(dir / "schedstat");
    std::uint64_t run = 0;
    f >> run >> v.runq_wait_ns;
  }
  {
    std::ifstream f(dir / "stat");
    std::string l;
    std::getline(f, l);
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    std::istringstream in(l.substr(l.rfind(')') + 2));
    std::string x;
    for (int i = 3; i < 14; ++i) in >> x;
    in >> v.utime >> v.stime;
  }
  return v;
}

using medium = ix::introspection<ix::tier::medium>;

void notify3(medium& ins, std::uint64_t i) {
  ins.notify(ix::severity::warning, "disk nearly full",
             {{"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}});
}

using bench::add_ns;
using bench::sleep_until;

struct sweep_row {
  double target, achieved, drop_pct, writer_ns_per_record, writer_cpu_pct, producer_ns_per_call;
  double compactor_cpu_ms;  // since it started (its first sealed segment)
  std::uint64_t records, segments_compacted;
  // The writer's sleeps (wake-ups) per second, its CPU per wake-up (µs), the kernel's share of
  // its CPU (%), and its run-queue delay per second of the run (ms).
  double wakeups_per_s, cpu_us_per_wakeup, sys_pct, runq_ms_per_s;
};

// One rate: a fresh medium instance, 0.2 s of warm-up, then `secs` at `rate` (0: flood).
sweep_row run_rate(double rate, double secs) {
  const auto dir = fresh_dir("sweep");
  const auto before = task_ids();
  sweep_row row{};
  {
    // INTROSPECT_BENCH_QUEUE_SLOTS: the event queue's size (0, the default: the tier's).
    const char* q = std::getenv("INTROSPECT_BENCH_QUEUE_SLOTS");
    medium ins{ix::config{.store = dir,
                          .instance = "bench",
                          .queue_slots = q ? std::strtoull(q, nullptr, 10) : 0,
                          .on_error = ix::ignore_errors}};
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    long writer = 0;
    for (long t : task_ids())
      if (!before.count(t)) writer = t;
    for (std::uint64_t i = 0; i < 1000; ++i) notify3(ins, i);
    ins.flush();
    const auto s0 = ins.stats();
    const auto w0 = thread_cpu_ns(writer);
    const auto k0 = sched_of(writer);
    timespec p0{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &p0);
    const auto t0 = clk::now();
    std::uint64_t sent = 0;
    const auto window = std::chrono::duration<double>(secs);
    if (rate <= 0) {
      while (clk::now() - t0 < window)
        for (int k = 0; k < 256; ++k) notify3(ins, sent++);
    } else if (rate <= 20000) {  // a product's ordinary rate: it sleeps between calls
      timespec next{};
      clock_gettime(CLOCK_MONOTONIC, &next);
      const auto gap = static_cast<std::int64_t>(1e9 / rate);
      const auto n = static_cast<std::uint64_t>(rate * secs);
      for (; sent < n; ++sent) {
        next = add_ns(next, gap);
        sleep_until(next);
        notify3(ins, sent);
      }
    } else {
      for (;;) {
        const double el = std::chrono::duration<double>(clk::now() - t0).count();
        if (el >= secs) break;
        const auto target = static_cast<std::uint64_t>(rate * el);
        while (sent < target) notify3(ins, sent++);
      }
    }
    const double wall = std::chrono::duration<double>(clk::now() - t0).count();
    timespec p1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &p1);
    ins.flush();
    const double wall_flushed = std::chrono::duration<double>(clk::now() - t0).count();
    const auto w1 = thread_cpu_ns(writer);
    const auto k1 = sched_of(writer);
    const auto s1 = ins.stats();
    if (const long c = task_named("ix-compactor")) row.compactor_cpu_ms = thread_cpu_ns(c) / 1e6;
    // After flush(): the writer opened the store; compaction() takes the compactor's lock.
    row.segments_compacted = ins.engine().sink().writer().compaction().compacted;
    const auto recs = s1.records - s0.records;
    const auto drops = s1.dropped() - s0.dropped();
    row.target = rate;
    row.records = recs;
    row.achieved = double(recs - std::min(recs, drops)) / wall;
    row.drop_pct = recs ? 100.0 * double(drops) / double(recs) : 0;
    row.writer_ns_per_record =
        recs > drops ? double(w1 - w0) / double(recs - drops) : 0;  // the records it stored
    row.writer_cpu_pct = 100.0 * double(w1 - w0) / (wall_flushed * 1e9);
    const auto wakeups = k1.sleeps - k0.sleeps;
    row.wakeups_per_s = double(wakeups) / wall_flushed;
    row.cpu_us_per_wakeup = wakeups ? double(w1 - w0) / 1e3 / double(wakeups) : 0;
    const auto ticks = (k1.utime - k0.utime) + (k1.stime - k0.stime);
    // Sampled at the clock tick (10 ms): fewer than 10 ticks say nothing (-1, printed "—").
    row.sys_pct = ticks >= 10 ? 100.0 * double(k1.stime - k0.stime) / double(ticks) : -1;
    row.runq_ms_per_s = double(k1.runq_wait_ns - k0.runq_wait_ns) / 1e6 / wall_flushed;
    const double pcpu = double(p1.tv_sec - p0.tv_sec) * 1e9 + double(p1.tv_nsec - p0.tv_nsec);
    // Only a flood's product thread does nothing but call: paced ones also read the clock or
    // sleep, which is not the call's cost.
    row.producer_ns_per_call = rate <= 0 && sent ? pcpu / double(sent) : -1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return row;
}

template <class Tier>
void upfront_memory(const char* name, std::size_t slots) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid != 0) {
    int st = 0;
    waitpid(pid, &st, 0);
    return;
  }
  auto heap = [] {
    const auto m = mallinfo2();
    return double(m.uordblks + m.hblkhd);
  };
  auto rss = [] {
    std::ifstream f("/proc/self/statm");
    long size = 0, res = 0;
    f >> size >> res;
    return double(res) * double(sysconf(_SC_PAGESIZE));
  };
  const auto dir = fresh_dir(name);
  const double h0 = heap(), r0 = rss();
  std::size_t cap = 0;
  {
    ix::introspection<Tier> ins{ix::config{
        .store = dir, .instance = "bench", .queue_slots = slots, .on_error = ix::ignore_errors}};
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cap = ins.engine().queue_capacity();
    std::printf("| %s%s | %zu | %.0f KiB | %.0f KiB |\n", name,
                slots ? " (queue_slots = 8192, the old default)" : "", cap, (heap() - h0) / 1024,
                (rss() - r0) / 1024);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::vector<double> rates;
  for (int i = 2; i < argc; ++i) rates.push_back(std::atof(argv[i]));
  if (rates.empty()) rates = {1e3, 1e4, 1e5, 3e5, 1e6, 2e6, 3e6, 0};

  std::printf("load (/proc/loadavg): ");
  {
    std::ifstream f("/proc/loadavg");
    std::string l;
    std::getline(f, l);
    std::printf("%s\n", l.c_str());
  }

  std::printf("\n## Up-front memory per store tier (constructed, 300 ms later)\n\n");
  std::printf("| tier | queue slots | heap | RSS |\n|---|---:|---:|---:|\n");
  upfront_memory<ix::tier::small>("small", 0);
  upfront_memory<ix::tier::small>("small", 8192);
  upfront_memory<ix::tier::medium>("medium", 0);
  upfront_memory<ix::tier::large>("large", 0);

  std::printf("\n## Rate sweep: medium tier, notify() with 3 attributes, %.1f s per rate\n\n",
              secs);
  std::printf(
      "| target rate | achieved (stored/s) | drop %% | writer CPU ns/record | writer CPU %% | "
      "product CPU ns/call (flood) | compactor CPU ms (segments) | writer wake-ups/s | "
      "writer CPU µs/wake-up | writer kernel %% | writer run-queue wait ms/s |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (double r : rates) {
    const auto row = run_rate(r, secs);
    char target[32];
    if (r <= 0)
      std::snprintf(target, sizeof target, "flood");
    else
      std::snprintf(target, sizeof target, "%.0f", r);
    char producer[32] = "—";
    if (row.producer_ns_per_call >= 0)
      std::snprintf(producer, sizeof producer, "%.1f", row.producer_ns_per_call);
    char sys[32] = "—";
    if (row.sys_pct >= 0) std::snprintf(sys, sizeof sys, "%.0f", row.sys_pct);
    std::printf("| %s | %.0f | %.3f | %.0f | %.1f | %s | %.0f (%llu) | %.0f | %.1f | %s | %.1f |\n",
                target, row.achieved, row.drop_pct, row.writer_ns_per_record, row.writer_cpu_pct,
                producer, row.compactor_cpu_ms,
                static_cast<unsigned long long>(row.segments_compacted), row.wakeups_per_s,
                row.cpu_us_per_wakeup, sys, row.runq_ms_per_s);
    std::fflush(stdout);
  }

  std::printf("\nload at the end: ");
  std::ifstream f("/proc/loadavg");
  std::string l;
  std::getline(f, l);
  std::printf("%s\n", l.c_str());
  return 0;
}
