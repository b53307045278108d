#pragma once
// Compaction of sealed segments on a thread of its own, so that sealing a 64 MiB segment
// (columns + zstd, ~1 s of CPU) never stalls the writer: the writer hands the sealed segment
// over through a small bounded queue and goes on. The writer never waits for it: a full queue
// leaves the segment raw (readers read both forms), counted.
#include <pthread.h>
#include <unistd.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <introspect/store/compaction.hpp>
#include <introspect/store/options.hpp>

namespace introspect::inline v1::store {

//! What a writer's compactor did so far (a copy: safe to keep).
struct compaction_stats {
  std::uint64_t queued = 0;      //!< sealed segments handed to the compactor
  std::uint64_t compacted = 0;   //!< rewritten compressed
  std::uint64_t failed = 0;      //!< an I/O error (ENOSPC...): the raw segment is kept
  std::uint64_t left_raw = 0;    //!< not compacted: damage, no gain, a full queue, a stop
  std::uint64_t queue_full = 0;  //!< of left_raw: the queue was full when the segment sealed
  std::uint64_t removed = 0;     //!< removed by retention or truncation before their turn
  std::string last_error;        //!< the last failure, with its path
};

//! One thread that compacts the sealed segments a writer hands it, oldest first. Started on
//! the first hand-over, so a writer that never compacts has no such thread. A segment that
//! retention or truncation removes meanwhile is dropped from the queue, or, when it is being
//! compacted, removed again once its rename is done (the rename would bring it back).
class compactor {
 public:
  //! `capacity`: sealed segments that may wait; `durable`: fsync the directory after a removal.
  explicit compactor(std::size_t capacity = 64, bool durable = false)
      : capacity_(capacity == 0 ? 1 : capacity), durable_(durable) {}
  compactor(const compactor&) = delete;
  compactor& operator=(const compactor&) = delete;
  //! Stops promptly: the segment in progress is finished, the queued ones stay raw.
  ~compactor() { stop(); }

  //! Queues the sealed segment `log` (first offset `first`); false when the queue is full (the
  //! segment stays raw). Never waits for a compaction: the lock guards only the queue.
  bool submit(std::filesystem::path log, offset_t first, const compaction_options& o) {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (jobs_.size() >= capacity_) {
      ++stats_.left_raw;
      ++stats_.queue_full;
      return false;
    }
    jobs_.push_back({std::move(log), first, o});
    ++stats_.queued;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    cv_.notify_one();
    return true;
  }

  //! The writer is about to remove `log`: drop it from the queue, or, if it is being compacted,
  //! have the compactor remove it again after its rename. Call before unlinking it.
  void forget(const std::filesystem::path& log) {
    std::lock_guard lock(mu_);
    for (auto it = jobs_.begin(); it != jobs_.end(); ++it)
      if (it->log == log) {
        jobs_.erase(it);
        ++stats_.removed;
        return;
      }
    if (busy_ && current_ == log) doomed_ = true;
  }

  //! Waits until every queued segment is done (tools and tests; a product's writer never does).
  void wait_idle() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [&] { return jobs_.empty() && !busy_; });
  }

  //! Finishes the segment in progress; the queued ones stay raw. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      stats_.left_raw += jobs_.size();
      jobs_.clear();
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

 private:
  struct job {
    std::filesystem::path log;
    offset_t first = 0;
    compaction_options opt;
  };

  void run() {
    ::pthread_setname_np(::pthread_self(), "ix-compactor");  // for top -H, perf and gdb
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) {  // stopping, nothing queued
        idle_cv_.notify_all();
        return;
      }
      job j = std::move(jobs_.front());
      jobs_.pop_front();
      current_ = j.log;
      busy_ = true;
      doomed_ = false;
      lock.unlock();
      const auto r = compact_segment(j.log, j.first, j.opt);
      lock.lock();
      const bool doomed = doomed_;
      busy_ = false;
      doomed_ = false;
      current_.clear();
      if (r.compacted) {
        ++stats_.compacted;
        compacted_.fetch_add(1, std::memory_order_relaxed);
      } else if (r.error) {
        ++stats_.failed;
        stats_.last_error = "compact " + j.log.string() + ": " + detail::errno_text(r.error);
      } else {
        ++stats_.left_raw;
      }
      if (doomed) {
        ++stats_.removed;
        lock.unlock();
        remove_again(j.log);
        lock.lock();
      }
      if (jobs_.empty()) idle_cv_.notify_all();
      if (stopping_) {
        stats_.left_raw += jobs_.size();
        jobs_.clear();
        idle_cv_.notify_all();
        return;
      }
    }
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
  std::filesystem::path current_;
  bool busy_ = false, doomed_ = false, stopping_ = false;
  compaction_stats stats_;
  std::atomic<std::uint64_t> compacted_{0};
  std::thread thread_;  // last: joined in stop() before the members above go
};

}  // namespace introspect::inline v1::store
