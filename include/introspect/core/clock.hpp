#pragma once
//! The time source of records: nanoseconds since the Unix epoch, replaceable for simulations.
#include <atomic>
#include <cstdint>
#include <ctime>

namespace introspect::inline v1 {

//! A clock function: nanoseconds since 1970-01-01T00:00:00Z.
using clock_fn = std::int64_t (*)() noexcept;

//! The default clock: CLOCK_REALTIME through the vDSO (about 20-30 ns here).
inline std::int64_t realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

//! A cheaper clock for hot paths: CLOCK_REALTIME_COARSE (about 6 ns, jiffy resolution).
inline std::int64_t coarse_realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace detail::tsc {
__extension__ typedef unsigned __int128 u128;
// The base: CLOCK_REALTIME and the TSC read together, and the rate (ns per tick << 32) measured
// between the last two bases; 0 while none is measured. A seqlock: the writer (one at a time,
// `writing`) makes `seq` odd while it changes the others.
inline std::atomic<std::uint32_t> seq{0};
inline std::atomic<std::uint64_t> base_tsc{0}, mult{0}, window{0};
inline std::atomic<std::int64_t> base_ns{0};
inline std::atomic<bool> writing{false};
// A re-read finds the interpolation at most this far off, or the rate is measured again.
inline constexpr std::int64_t max_error_ns = 1'000;
inline constexpr std::int64_t window_ns = 1'000'000;

inline std::uint64_t ticks() noexcept { return __builtin_ia32_rdtsc(); }

// CLOCK_REALTIME with the TSC at the same moment: the two TSC reads around it at most 400 ticks
// apart (a preempted read is tried again), the TSC taken as their middle.
inline bool read_pair(std::uint64_t& tsc, std::int64_t& ns) noexcept {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t a = ticks();
    ns = realtime_ns();
    const std::uint64_t b = ticks();
    if (b - a < 400) {
      tsc = a + (b - a) / 2;
      return true;
    }
  }
  return false;
}

// A new base (past the window, or before a rate is known); the exact CLOCK_REALTIME meanwhile.
[[gnu::noinline]] inline std::int64_t rebase() noexcept {
  if (writing.exchange(true, std::memory_order_acquire)) return realtime_ns();
  std::uint64_t t;
  std::int64_t ns;
  if (read_pair(t, ns)) {
    const std::uint64_t t0 = base_tsc.load(std::memory_order_relaxed);
    const std::int64_t n0 = base_ns.load(std::memory_order_relaxed);
    const std::uint64_t m0 = mult.load(std::memory_order_relaxed);
    std::uint64_t m = 0;
    // The first base, or the TSC or the clock went back: start anew, the rate unknown.
    bool move = !t0 || t <= t0 || ns < n0;
    if (!move && ns - n0 >= window_ns) {  // a baseline of a window at least: precise enough
      move = true;
      // Where the interpolation ended (after an idle gap of more than two windows, not
      // checked: the rate over the gap is the better one). More than 1 us off (a step of the
      // clock, a changed rate): the next window measures the rate, realtime_ns meanwhile.
      bool ok = true;
      if (m0 && t - t0 <= 2 * window.load(std::memory_order_relaxed)) {
        const auto pred = n0 + static_cast<std::int64_t>(static_cast<u128>(t - t0) * m0 >> 32);
        ok = (ns > pred ? ns - pred : pred - ns) <= max_error_ns;
      }
      if (ok)
        m = static_cast<std::uint64_t>(
            (static_cast<u128>(static_cast<std::uint64_t>(ns - n0)) << 32) / (t - t0));
    }
    if (move) {
      const std::uint32_t s = seq.load(std::memory_order_relaxed);
      seq.store(s + 1, std::memory_order_relaxed);
      // Release stores (no fence: GCC's TSan rejects atomic_thread_fence): each is seen only
      // after the odd seq; plain moves on x86.
      base_tsc.store(t, std::memory_order_release);
      base_ns.store(ns, std::memory_order_release);
      mult.store(m, std::memory_order_release);
      window.store(m ? (static_cast<std::uint64_t>(window_ns) << 32) / m : 0,
                   std::memory_order_release);
      seq.store(s + 2, std::memory_order_release);
    }
  } else {
    ns = realtime_ns();
  }
  writing.store(false, std::memory_order_release);
  return ns;
}

// The CPU's TSC runs at a constant rate, in every power state (CPUID's invariant TSC).
inline bool invariant() noexcept {
  static const bool yes = [] {
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0u));
    if (a < 0x80000007u) return false;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u), "c"(0u));
    return (d >> 8 & 1u) != 0;
  }();
  return yes;
}
}  // namespace detail::tsc

//! CLOCK_REALTIME interpolated with the TSC (about 12 ns against realtime_ns' 28 here; opt-in,
//! config::clock): realtime_ns is re-read each millisecond of ticks, the ticks since scaled by
//! the rate measured over the last millisecond. Each re-read checks where the interpolation
//! ended and, more than 1 us off, measures the rate again (realtime_ns meanwhile): a step of
//! CLOCK_REALTIME shows within 1 ms, in the times of that millisecond at most. Needs the TSCs of
//! all CPUs in step (as the kernel's tsc and stable kvm-clock clocksources do); without an
//! invariant TSC it is realtime_ns.
inline std::int64_t tsc_realtime_ns() noexcept {
  namespace t = detail::tsc;
  if (!t::invariant()) [[unlikely]]
    return realtime_ns();
  const std::uint32_t s = t::seq.load(std::memory_order_acquire);
  // Acquire loads (plain moves on x86): the second load of seq stays after them.
  const std::uint64_t t0 = t::base_tsc.load(std::memory_order_acquire);
  const std::int64_t n0 = t::base_ns.load(std::memory_order_acquire);
  const std::uint64_t m = t::mult.load(std::memory_order_acquire);
  const std::uint64_t w = t::window.load(std::memory_order_acquire);
  const std::uint64_t d = t::ticks() - t0;
  if (d >= w || (s & 1) || t::seq.load(std::memory_order_relaxed) != s) [[unlikely]]
    return t::rebase();  // past the window, no rate yet (w == 0), or a base being written
  return n0 + static_cast<std::int64_t>(static_cast<t::u128>(d) * m >> 32);
}
#else
//! CLOCK_REALTIME interpolated with the TSC on x86-64; here, realtime_ns.
inline std::int64_t tsc_realtime_ns() noexcept { return realtime_ns(); }
#endif

}  // namespace introspect::inline v1
