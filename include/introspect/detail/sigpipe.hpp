#pragma once
//! SIGPIPE safety for the sockets introspect writes to, without touching the product's signal
//! disposition (a library must not call signal(SIGPIPE, SIG_IGN) for its host).
//!
//! OpenSSL writes with write(2) on its socket BIO (a TLS alert as a connection is shut down, for
//! instance), so a peer that is gone raises SIGPIPE in the writing thread, and the default
//! action ends the product (exit 141). SIGPIPE from a write is directed at the thread that
//! wrote, so blocking it in that thread for the duration of our calls and consuming the one we
//! caused (sigtimedwait with a zero timeout) leaves every other thread and the disposition as
//! they were. The technique is the one libcurl and git use (and "SIGPIPE 101" describes).
#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>

namespace introspect::inline v1::detail {

//! Blocks SIGPIPE in the calling thread while it lives; on exit consumes a SIGPIPE this scope
//! raised (one already pending before it is left for the product) and restores the mask.
class sigpipe_guard {
 public:
  sigpipe_guard() noexcept {
    const int saved = errno;
    sigset_t pipe = only_sigpipe();
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe, &old_) == 0;
    errno = saved;
  }
  ~sigpipe_guard() {
    if (!blocked_) return;
    const int saved = errno;
    if (!was_pending_) drain_pending_sigpipe();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    errno = saved;
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

  //! The set holding only SIGPIPE.
  static sigset_t only_sigpipe() noexcept {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    return s;
  }
  //! Consumes a pending SIGPIPE, if any, without waiting (SIGPIPE must be blocked).
  static void drain_pending_sigpipe() noexcept {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) != 0 || sigismember(&pending, SIGPIPE) != 1) return;
    const sigset_t pipe = only_sigpipe();
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe, nullptr, &zero) == -1 && errno == EINTR) {
    }
  }

 private:
  sigset_t old_{};
  bool blocked_ = false;
  bool was_pending_ = false;
};

//! Blocks SIGPIPE for the rest of the calling thread's life: for threads introspect starts,
//! whose every socket write is ours. Thread-directed signals still pending when the thread
//! ends are discarded with it, so nothing reaches the product.
inline void block_sigpipe_in_this_thread() noexcept {
  const sigset_t pipe = sigpipe_guard::only_sigpipe();
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

}  // namespace introspect::inline v1::detail
