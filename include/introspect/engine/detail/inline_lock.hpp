#pragma once
//! The inline engine's lock: taken with one atomic exchange and released with a plain store.
//! std::mutex costs two atomic read-modify-writes and two calls into libc (~13 ns on the
//! benchmark's VM, a fifth of a tiny-tier record); this lock costs one exchange (~6 ns).
#include <atomic>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#endif

namespace introspect::inline v1::detail {

#if defined(__linux__)
// True once the process is registered for membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) (Linux
// 4.14; a seccomp filter may refuse it): the lock's plain-store release depends on it.
inline bool heavy_barrier_available() noexcept {
  static const bool ok = [] {
    const long cmds = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
           ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  }();
  return ok;
}

// A full memory barrier executed by every running thread of the process (an IPI to their CPUs):
// what a thread that stored without a fence has stored is visible after it returns, and what it
// loads later sees what the caller stored before. False if it failed (a child forked without
// exec may not inherit the registration).
inline bool heavy_barrier() noexcept {
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}
#endif

//! A mutex for short critical sections: one atomic exchange to take it, a plain store to release
//! it; a waiter spins briefly, then sleeps on a futex. The release needs no read-modify-write to
//! learn of waiters: a thread about to wait makes every thread of the process execute a full
//! barrier first (membarrier), so either it sees the releasing store, or the releaser's later
//! load sees it registered and wakes it (no lost wake-up). Where membarrier is not available the
//! release is an exchange. Not recursive; as fair as std::mutex (no queue).
class inline_lock {
 public:
  inline_lock() noexcept {
#if defined(__linux__)
    plain_release_ = heavy_barrier_available();
#endif
  }
  inline_lock(const inline_lock&) = delete;
  inline_lock& operator=(const inline_lock&) = delete;

  void lock() noexcept {
    if (state_.exchange(1, std::memory_order_acquire) != 0) [[unlikely]]
      lock_slow();
  }

  void unlock() noexcept {
    if (plain_release_) {
      state_.store(0, std::memory_order_release);
      // Only the compiler must not move the load above the store: the CPU may (a store waits in
      // its store buffer), which a waiter's heavy_barrier() accounts for.
      std::atomic_signal_fence(std::memory_order_seq_cst);
    } else {
      state_.exchange(0, std::memory_order_seq_cst);
    }
    // seq_cst: after the exchange release it must not pass it (a plain load on x86).
    if (waiters_.load(std::memory_order_seq_cst) != 0) [[unlikely]]
      wake();
  }

 private:
  [[gnu::noinline, gnu::cold]] void lock_slow() noexcept {
    for (;;) {
      // Spin while the holder is likely to release soon (a record takes ~50 ns; a write of the
      // buffer tens of microseconds, a preempted holder a time slice: then sleep).
      for (int i = 0; i < spins; ++i) {
        pause();
        if (state_.load(std::memory_order_relaxed) == 0 &&
            state_.exchange(1, std::memory_order_acquire) == 0)
          return;
      }
      waiters_.fetch_add(1, std::memory_order_seq_cst);
#if defined(__linux__)
      // Without the barrier a release's store may still be invisible to the check below and its
      // load blind to this registration: then sleep at most 1 ms at a time.
      const bool bounded = plain_release_ && !heavy_barrier();
#else
      const bool bounded = false;
#endif
      // An event count: a release seen by no check below has advanced wakes_ past `seen`, and
      // the futex wait returns at once.
      const std::uint32_t seen = wakes_.load(std::memory_order_seq_cst);
      if (state_.exchange(1, std::memory_order_seq_cst) == 0) {
        waiters_.fetch_sub(1, std::memory_order_relaxed);
        return;
      }
      sleep(seen, bounded);
      waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // Sleeps until a release after `seen`. A thread woken by wake() was taken off sleeping_ by its
  // waker; any other return (a release came first, a signal) takes itself off.
  void sleep(std::uint32_t seen, bool bounded) noexcept {
#if defined(__linux__)
    sleeping_.fetch_add(1, std::memory_order_seq_cst);
    const timespec ms{0, 1'000'000};
    if (::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&wakes_), FUTEX_WAIT_PRIVATE, seen,
                  bounded ? &ms : nullptr, nullptr, 0) != 0)
      sleeping_.fetch_sub(1, std::memory_order_relaxed);
#else
    (void)seen;
    (void)bounded;
    std::this_thread::yield();
#endif
  }

  // Advances the event count (a waiter between its check and its sleep then does not sleep);
  // calls the kernel only when a thread sleeps, and takes the one it wakes off sleeping_ at once:
  // releases while it waits for a CPU (milliseconds on a loaded machine) make no system call.
  [[gnu::noinline, gnu::cold]] void wake() noexcept {
    wakes_.fetch_add(1, std::memory_order_seq_cst);
#if defined(__linux__)
    if (sleeping_.load(std::memory_order_seq_cst) != 0 &&
        ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&wakes_), FUTEX_WAKE_PRIVATE, 1,
                  nullptr, nullptr, 0) > 0)
      sleeping_.fetch_sub(1, std::memory_order_relaxed);
#endif
  }

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  static constexpr int spins = 100;  // ~1-3 us of pause: beyond it the holder is not running
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  std::atomic<std::uint32_t> state_{0};     // 0 free, 1 held
  std::atomic<std::uint32_t> waiters_{0};   // threads past their spin, until they hold the lock
  std::atomic<std::uint32_t> wakes_{0};     // the event count the sleepers wait on
  std::atomic<std::uint32_t> sleeping_{0};  // threads in (or entering) the futex wait
  bool plain_release_ = false;
};

}  // namespace introspect::inline v1::detail
