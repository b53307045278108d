#pragma once
//! The engine with no thread (the tiny tier's): the product's own calls and tick() drive the
//! period. It owns the lock (spdlog's base_sink); its sink only buffers and writes.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <introspect/core/clock.hpp>
#include <introspect/core/config.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/stats.hpp>
#include <introspect/sink/concept.hpp>

namespace introspect::inline v1 {

namespace detail {
// True while the process has one thread: glibc's __libc_single_threaded, which libstdc++'s
// shared_ptr reads for the same purpose. Then no other thread can be inside the engine, and the
// uncontended lock (two atomic read-modify-writes: ~14 ns of a ~60 ns record on the benchmark's
// VM; spdlog's _st sinks have none) is skipped. glibc sets it to false before the second thread
// starts and never back, so a thread created later, or by the product, always locks.
inline bool one_thread() noexcept {
#if __has_include(<sys/single_threaded.h>)
  return __libc_single_threaded;
#else
  return false;
#endif
}
#if defined(__linux__)
// The engine's lock: glibc's own algorithm for a default pthread mutex (lll_lock: a compare-and-
// swap 0 -> 1 to take it, an exchange to 0 to release it, the futex only when a waiter set 2),
// inline. The same two atomic operations and the same sleeping under contention as std::mutex,
// without pthread_mutex_lock's and _unlock's calls through the PLT, their type dispatch and
// their owner and user-count stores (bench_tiny's BM_lock_pair_*: a pair uncontended 12.2 ns
// against 13.8; in notify() see docs/benchmarks.md). No spinning, no membarrier: under
// contention it sleeps and wakes as std::mutex does (BM_tiny_notify_contended).
class inline_mutex {
 public:
  void lock() noexcept {
    int c = 0;
    if (!state_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
        [[unlikely]]
      wait(c);
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) != 1) [[unlikely]]
      wake();
  }

 private:
  // 2: taken, and a thread may sleep on it. Whoever takes it here sets 2, so its unlock wakes
  // the next sleeper (glibc's __lll_lock_wait).
  [[gnu::cold, gnu::noinline]] void wait(int c) noexcept {
    if (c != 2) c = state_.exchange(2, std::memory_order_acquire);
    while (c != 0) {
      ::syscall(SYS_futex, word(), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
      c = state_.exchange(2, std::memory_order_acquire);
    }
  }
  [[gnu::cold, gnu::noinline]] void wake() noexcept {
    ::syscall(SYS_futex, word(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  int* word() noexcept { return reinterpret_cast<int*>(&state_); }

  static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free);
  std::atomic<int> state_{0};  // 0 free, 1 taken, 2 taken with possible sleepers
};
#else
using inline_mutex = std::mutex;
#endif

}  // namespace detail

//! Calls `Sink` under one mutex, inline in the product's call; flushes it when `PeriodNs` has
//! elapsed (by the record's time or tick()'s) and at exit. Thread-safe, never throws.
template <class Sink, std::int64_t PeriodNs>
requires record_sink<Sink>
class inline_engine {
 public:
  using config_type = config;
  using sink_type = Sink;
  static constexpr int threads = Sink::threads;

  explicit inline_engine(config c)
      : cfg_(detail::complete(std::move(c))), sink_(cfg_), last_flush_(cfg_.clock()) {}
  inline_engine(const inline_engine&) = delete;
  inline_engine& operator=(const inline_engine&) = delete;
  ~inline_engine() {
    const auto t = now();
    std::lock_guard lock(mu_);
    if constexpr (requires { sink_.close(t); })
      sink_.close(t);
    else
      sink_.flush(t);
  }

  const config& cfg() const noexcept { return cfg_; }
  //! The record time: the default clock is called directly (inlined to clock_gettime), others
  //! through the pointer.
  std::int64_t now() const noexcept {
    return cfg_.clock == &realtime_ns ? realtime_ns() : cfg_.clock();
  }

  //! Hands one record to the sink; flushes it if the period has elapsed. The lock is skipped
  //! while the process has a single thread (see detail::one_thread).
  void emit(const record_view& r) noexcept {
    if (detail::one_thread()) {
      emit_locked(r);
    } else {
      std::lock_guard lock(mu_);
      emit_locked(r);
    }
  }

  //! Drives the period when the product is idle: the sink's periodic work if it has elapsed.
  void tick() noexcept {
    const auto t = now();
    std::lock_guard lock(mu_);
    if (t - last_flush_ >= PeriodNs) {
      last_flush_ = t;
      sink_.tick(t);
    }
  }

  //! Writes everything buffered now.
  void flush() noexcept {
    const auto t = now();
    std::lock_guard lock(mu_);
    flush_locked(t);
  }

  auto stats() const {
    std::lock_guard lock(mu_);
    return sink_.stats();
  }

  //! The sink (not locked: for a caller that knows no other thread records).
  Sink& sink() noexcept { return sink_; }

  //! The file currently written (a sink with files; empty before the first flush).
  std::filesystem::path current_file() const requires requires(const Sink& s) { s.current_file(); }
  {
    std::lock_guard lock(mu_);
    return sink_.current_file();
  }

 private:
  void emit_locked(const record_view& r) noexcept {
    sink_.append(r);
    if (r.ts_ns - last_flush_ >= PeriodNs) flush_locked(r.ts_ns);
  }

  void flush_locked(std::int64_t t) noexcept {
    last_flush_ = t;
    sink_.flush(t);
  }

  config cfg_;
  mutable detail::inline_mutex mu_;
  Sink sink_;
  std::int64_t last_flush_;
};

}  // namespace introspect::inline v1
