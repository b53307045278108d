#pragma once
// Compaction of sealed segments on a thread of its own, so that sealing a 64 MiB segment
// (columns + zstd, ~1 s of CPU) never stalls the writer: the writer hands the sealed segment
// over through a small queue and goes on; it never waits for the compactor (the hand-over only
// tries the lock). The thread runs at the lowest CPU priority (SCHED_IDLE, else nice 19): it
// uses CPU that neither the writer nor the product wants, so under a burst it falls behind
// rather than slowing them. Nothing sealed is left raw for good: a segment the queue cannot
// take, and the sealed raw segments found at open, are found again by a rescan of the stream's
// directory once the queue is empty.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <introspect/store/compaction.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/options.hpp>

namespace introspect::inline v1::store {

//! What a writer's compactor did so far (a copy: safe to keep).
struct compaction_stats {
  std::uint64_t queued = 0;      //!< sealed segments handed to the compactor
  std::uint64_t compacted = 0;   //!< rewritten compressed
  std::uint64_t failed = 0;      //!< an I/O error (ENOSPC...): the raw segment is kept
  std::uint64_t left_raw = 0;    //!< not compacted: damage, no gain, a stop, a cancel
  std::uint64_t queue_full = 0;  //!< the queue was full (or busy) at a hand-over: left to a rescan
  std::uint64_t rescanned = 0;   //!< sealed raw segments a rescan of a stream directory found
  std::uint64_t cancelled = 0;   //!< of left_raw: abandoned by a stop (before their rename)
  std::uint64_t removed = 0;     //!< removed by retention or truncation before their turn
  std::string last_error;        //!< the last failure, with its path
  //! The compactor thread's CPU priority: "SCHED_IDLE", "nice 19" or why neither could be set
  //! (empty until the thread started).
  std::string priority;
};

//! One thread that compacts the sealed segments a writer hands it, oldest first, and those a
//! rescan of its streams' directories finds still raw. Started on the first hand-over, so a
//! writer that never compacts has no such thread. A segment that retention or truncation
//! removes meanwhile is dropped from the queue, or, when it is being compacted, removed again
//! once its rename is done (the rename would bring it back).
class compactor {
 public:
  //! `capacity`: sealed segments that may wait; `durable`: fsync the directory after a removal.
  explicit compactor(std::size_t capacity = 64, bool durable = false)
      : capacity_(capacity == 0 ? 1 : capacity), durable_(durable) {}
  compactor(const compactor&) = delete;
  compactor& operator=(const compactor&) = delete;
  //! Stops promptly: the compaction in progress is abandoned at its next block.
  ~compactor() { stop(); }

  //! Queues the sealed segment `log` (first offset `first`). Never waits: when the queue is
  //! full, or the compactor thread holds the lock that instant, the segment is left to the next
  //! rescan of its directory (false, counted in queue_full).
  bool submit(std::filesystem::path log, offset_t first, const compaction_options& o) {
    std::unique_lock lock(mu_, std::defer_lock);
    // The thread exists once started: only then can it hold the lock (a SCHED_IDLE thread
    // preempted inside its few instructions under the lock must not stall the writer).
    if (started_.load(std::memory_order_acquire)) {
      if (!lock.try_lock()) {
        // Kept on this side (only the writer's thread touches it) until the next hand-over.
        pending_.push_back({std::move(log), first, o});
        missed_.store(true, std::memory_order_release);
        cv_.notify_one();
        return false;
      }
    } else {
      lock.lock();
    }
    if (stopping_) return false;
    take_pending_locked();
    const bool queued = enqueue_locked({std::move(log), first, o});
    start_locked();
    cv_.notify_one();
    return queued;
  }

  //! Compacts, oldest first, every sealed raw segment of the stream directory `dir` (those
  //! whose first offset is below `sealed_below`, the active segment's first) on the compactor
  //! thread: the caller does no I/O.
  void watch(const std::filesystem::path& dir, const compaction_options& o, offset_t sealed_below) {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    auto& d = dirs_[dir];
    d.opt = o;
    d.sealed_below = std::max(d.sealed_below, sealed_below);
    rescan_.insert(dir);
    start_locked();
    cv_.notify_one();
  }

  //! The writer is about to remove `log`: drop it from the queue, or, if it is being compacted
  //! or a rescan just found it, have the compactor skip or remove it again after its rename.
  //! Call before unlinking it.
  void forget(const std::filesystem::path& log) {
    std::erase_if(pending_, [&](const job& j) { return j.log == log; });
    std::lock_guard lock(mu_);
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->log == log) {
        jobs_.erase(it);
        ++stats_.removed;
        return;
      }
    // Kept until the compactor sees the file gone: between this call and the writer's unlink a
    // rescan may still list it.
    forgotten_.insert(log);
  }

  //! Waits until every queued segment and every pending rescan is done (tools and tests; a
  //! product's writer never does).
  void wait_idle() {
    std::unique_lock lock(mu_);
    take_pending_locked();
    idle_cv_.wait(lock, [&] { return idle_locked(); });
  }
  //! Same, for at most `budget`; true when idle.
  bool wait_idle_for(std::chrono::nanoseconds budget) {
    std::unique_lock lock(mu_);
    take_pending_locked();
    cv_.notify_one();
    return idle_cv_.wait_for(lock, budget, [&] { return idle_locked(); });
  }
  //! A writer's close: waits at most `budget` for what is queued and pending, then stop()s.
  //! Returns whether everything was done.
  bool finish(std::chrono::nanoseconds budget) {
    // The product is closing: the thread no longer yields to it (at SCHED_IDLE on a busy
    // machine it would not run at all, and the join below waits for its current block).
    // Allowed with CAP_SYS_NICE or an RLIMIT_NICE of 20; otherwise it stays where it is.
    if (thread_.joinable()) raise_priority();
    const bool done = budget.count() > 0 ? wait_idle_for(budget) : idle();
    stop();
    return done;
  }
  bool idle() const {
    std::lock_guard lock(mu_);
    return pending_.empty() && idle_locked();
  }

  //! Abandons the compaction in progress at its next block (its raw segment stays) and what is
  //! queued; joins the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cancel_.store(true, std::memory_order_relaxed);
      stats_.left_raw += jobs_.size() + pending_.size();
      pending_.clear();
      jobs_.clear();
      rescan_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  compaction_stats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  //! Compacted so far, without a lock (the writer folds it into write_stats).
  std::uint64_t compacted() const noexcept { return compacted_.load(std::memory_order_relaxed); }
  //! The compactor thread's kernel thread id (0 before it started): sched_getscheduler(tid)
  //! and getpriority(PRIO_PROCESS, tid) read its priority back.
  pid_t thread_id() const noexcept { return tid_.load(std::memory_order_acquire); }

 private:
  struct job {
    std::filesystem::path log;
    offset_t first = 0;
    compaction_options opt;
  };

  bool idle_locked() const {
    return (jobs_.empty() && rescan_.empty() && !busy_ &&
            !missed_.load(std::memory_order_acquire)) ||
           stopping_;
  }

  // Hand-overs that found the lock taken, oldest first (the writer's thread, under the lock).
  void take_pending_locked() {
    if (pending_.empty() || stopping_) return;
    for (auto& j : pending_) enqueue_locked(std::move(j));
    pending_.clear();
    cv_.notify_one();
  }

  // Queues a hand-over unless the segment is already queued, being compacted or given up: a
  // hand-over that found the lock taken makes the thread rescan, which may find and compact the
  // segment before the hand-over itself is taken — it must not be attempted (and a failure
  // counted) twice. A full queue leaves it to a rescan of its directory.
  bool enqueue_locked(job j) {
    // A segment handed over is sealed, and so is every segment before it.
    auto& d = dirs_[j.log.parent_path()];
    d.opt = j.opt;
    d.sealed_below = std::max(d.sealed_below, j.first + 1);
    if (known_locked(j.log)) return true;
    if (jobs_.size() >= capacity_) {
      ++stats_.queue_full;
      rescan_.insert(j.log.parent_path());
      return false;
    }
    jobs_.push_back(std::move(j));
    ++stats_.queued;
    return true;
  }
  bool known_locked(const std::filesystem::path& log) const {
    return log == current_ || given_up_.count(log) ||
           std::any_of(jobs_.begin(), jobs_.end(), [&](const job& q) { return q.log == log; });
  }

  void start_locked() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
    started_.store(true, std::memory_order_release);
  }

  // Lowest CPU priority for this thread only (both calls act on the calling thread's tid).
  static std::string lower_priority() {
    sched_param sp{};
    sp.sched_priority = 0;
    const int rc = ::pthread_setschedparam(::pthread_self(), SCHED_IDLE, &sp);
    if (rc == 0) return "SCHED_IDLE";
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19) == 0) return "nice 19";
    return "normal (SCHED_IDLE: " + detail::errno_text(rc) +
           "; nice 19: " + detail::errno_text(errno) + ")";
  }

  void raise_priority() {
    sched_param sp{};
    sp.sched_priority = 0;
    std::lock_guard lock(mu_);  // run() lowers it under the lock too: never after this
    closing_ = true;
    if (stats_.priority.empty()) return;  // not lowered yet: it will not be
    const pid_t tid = tid_.load(std::memory_order_acquire);
    const bool ok = ::pthread_setschedparam(thread_.native_handle(), SCHED_OTHER, &sp) == 0 &&
                    ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 0) == 0;
    stats_.priority += ok ? ", normal while closing" : ", kept while closing (not permitted)";
  }

  void run() {
    ::pthread_setname_np(::pthread_self(), "ix-compactor");  // for top -H, perf and gdb
    tid_.store(::gettid(), std::memory_order_release);
    std::unique_lock lock(mu_);
    stats_.priority = closing_ ? "normal (started while closing)" : lower_priority();
    for (;;) {
      // The timeout only guards against a hand-over that found the lock taken just as this
      // thread went to sleep (its notify may have come first).
      cv_.wait_for(lock, std::chrono::seconds(1), [&] {
        return stopping_ || !jobs_.empty() || !rescan_.empty() ||
               missed_.load(std::memory_order_acquire);
      });
      if (stopping_) break;
      if (missed_.exchange(false, std::memory_order_acq_rel))
        for (auto& d : dirs_) rescan_.insert(d.first);
      if (jobs_.empty() && !rescan_.empty()) rescan(lock);
      if (jobs_.empty()) {
        prune_forgotten(lock);
        if (idle_locked()) idle_cv_.notify_all();
        continue;
      }
      job j = std::move(jobs_.front());
      jobs_.pop_front();
      if (forgotten_.count(j.log)) {
        ++stats_.removed;
        continue;
      }
      busy_ = true;
      current_ = j.log;
      lock.unlock();
      const auto r = compact_segment(j.log, j.first, j.opt, &cancel_);
      lock.lock();
      busy_ = false;
      current_.clear();
      if (r.compacted) {
        ++stats_.compacted;
        compacted_.fetch_add(1, std::memory_order_relaxed);
      } else if (r.error == ENOENT) {
        ++stats_.removed;  // removed before its turn (retention, truncation)
      } else if (r.error) {
        ++stats_.failed;
        stats_.last_error = "compact " + j.log.string() + ": " + detail::errno_text(r.error);
        given_up_.insert(j.log);  // retried after the next open, not in a loop now
      } else if (r.skipped != "already compressed") {
        ++stats_.left_raw;
        if (r.skipped == compaction_cancelled) ++stats_.cancelled;
        given_up_.insert(j.log);  // damage or no gain: a rescan must not try it again
      }
      if (forgotten_.count(j.log)) {
        ++stats_.removed;
        lock.unlock();
        remove_again(j.log);
        lock.lock();
      }
      if (idle_locked()) idle_cv_.notify_all();
    }
    stats_.left_raw += jobs_.size();
    jobs_.clear();
    idle_cv_.notify_all();
  }

  // Lists the flagged stream directories (without the lock) and queues their sealed raw
  // segments, oldest first: those below the writer's sealed mark, never the last one listed.
  void rescan(std::unique_lock<std::mutex>& lock) {
    std::vector<std::pair<std::filesystem::path, dir_info>> dirs;
    for (auto& d : rescan_) dirs.emplace_back(d, dirs_[d]);
    rescan_.clear();
    busy_ = true;  // not idle while listing
    lock.unlock();
    std::vector<job> found;
    for (auto& [dir, info] : dirs) {
      auto segs = detail::list_segments(dir);
      for (std::size_t i = 0; i + 1 < segs.size() && segs[i].first < info.sealed_below; ++i)
        if (is_raw(segs[i].log)) found.push_back({segs[i].log, segs[i].first, info.opt});
    }
    lock.lock();
    busy_ = false;
    for (auto& j : found) {
      if (known_locked(j.log) || forgotten_.count(j.log)) continue;
      ++stats_.rescanned;
      jobs_.push_back(std::move(j));
    }
  }

  // A raw segment starts with the segment magic; a compressed one with its own. Unreadable or
  // short: not ours to judge here (compact_segment reports it when it is queued by a roll).
  static bool is_raw(const std::filesystem::path& p) {
    detail::unique_fd fd(detail::sys::open(p.c_str(), O_RDONLY | detail::no_follow));
    if (!fd) return false;
    char m[8] = {};
    if (::pread(fd.get(), m, sizeof m, 0) != static_cast<ssize_t>(sizeof m)) return false;
    return std::memcmp(m, detail::compressed_magic, sizeof m) != 0;
  }

  // Forgotten paths whose file is gone can no longer come back through a rescan.
  void prune_forgotten(std::unique_lock<std::mutex>& lock) {
    if (forgotten_.empty()) return;
    const std::vector<std::filesystem::path> paths(forgotten_.begin(), forgotten_.end());
    lock.unlock();
    std::vector<std::filesystem::path> gone;
    for (auto& p : paths) {
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0 && errno == ENOENT) gone.push_back(p);
    }
    lock.lock();
    for (auto& p : gone) forgotten_.erase(p);
  }

  // The writer unlinked the segment while it was being compacted; the rename may have put it
  // back under its name (and a failed write leaves no temporary file, but a crash might).
  void remove_again(const std::filesystem::path& log) {
    (void)detail::sys::unlink(log.c_str());
    auto tmp = log;
    tmp += ".tmp";
    (void)::unlink(tmp.c_str());
    if (durable_) (void)detail::fsync_dir(log.parent_path());
  }

  const std::size_t capacity_;
  const bool durable_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<job> jobs_;
  std::vector<job> pending_;  // the writer's thread only: hand-overs that found the lock taken
  // Streams seen: their codec, and the first offset not known to be sealed. A rescan takes
  // only what the writer said is sealed, not what the listing suggests: a roll whose new
  // segment failed after its file was created lists the old active segment as not last while
  // the writer goes on appending to it (compacting it then would lose those appends).
  struct dir_info {
    compaction_options opt;
    offset_t sealed_below = 0;
  };
  std::map<std::filesystem::path, dir_info> dirs_;
  std::set<std::filesystem::path> rescan_;  // directories to list again
  std::set<std::filesystem::path> given_up_, forgotten_;
  std::filesystem::path current_;  // the segment being compacted (lock released meanwhile)
  bool busy_ = false, stopping_ = false, closing_ = false;
  compaction_stats stats_;
  std::atomic<bool> started_{false}, missed_{false}, cancel_{false};
  std::atomic<std::uint64_t> compacted_{0};
  std::atomic<pid_t> tid_{0};
  std::thread thread_;  // last: joined in stop() before the members above go
};

}  // namespace introspect::inline v1::store
