#pragma once
//! The bounded hand-off between a threaded source's thread and the collector's, with what
//! happens when it is full as a policy: `drop_oldest` (the Kubernetes source: states are
//! re-derived from the next list, and a collector that stops calling must not grow memory) or
//! `block_when_full` (the etcd source: a snapshot with a hole would not be consistent, so the
//! source's own thread waits; the watch resumes from its revision later). The collector never
//! waits, and the lock is held only to move records, never during I/O.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <type_traits>
#include <vector>

#include <introspect/source/owned_record.hpp>

namespace introspect::inline v1::source {

//! Full policy: beyond the capacity the oldest records are dropped and counted.
struct drop_oldest {};
//! Full policy: the producing thread waits for room (until it is cancelled).
struct block_when_full {};

//! A bounded queue of owned records between one producer and one consumer thread.
template <class FullPolicy>
class handoff {
 public:
  explicit handoff(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  //! Appends `batch` (emptied). drop_oldest: drops the oldest records beyond the capacity and
  //! returns true. block_when_full: waits while the queue is full and returns false (batch
  //! kept) when `cancelled()` becomes true meanwhile; a batch larger than the capacity is
  //! appended once the queue is empty.
  template <class Cancelled>
  bool push(std::vector<owned_record>& batch, Cancelled&& cancelled) {
    if (batch.empty()) return true;
    std::unique_lock lock(mu_);
    if constexpr (std::is_same_v<FullPolicy, block_when_full>) {
      while (!q_.empty() && q_.size() + batch.size() > capacity_) {
        if (cancelled()) return false;
        space_.wait_for(lock, std::chrono::milliseconds(50));
      }
    } else {
      (void)cancelled;
    }
    for (auto& e : batch) q_.push_back(std::move(e));
    batch.clear();
    if constexpr (std::is_same_v<FullPolicy, drop_oldest>) {
      while (q_.size() > capacity_) {
        q_.pop_front();
        ++dropped_;
      }
    }
    return true;
  }
  //! push() that is never cancelled.
  bool push(std::vector<owned_record>& batch) {
    return push(batch, [] { return false; });
  }

  //! Moves every queued record out, oldest first; the lock is not held while `f` runs.
  template <class F>
  std::size_t drain(F&& f) {
    {
      std::lock_guard lock(mu_);
      taken_.swap(q_);
    }
    space_.notify_all();
    const auto n = taken_.size();
    for (auto& e : taken_) f(e);
    taken_.clear();
    return n;
  }

  //! Records dropped so far because the queue was full (drop_oldest; always 0 otherwise).
  std::uint64_t dropped() const {
    std::lock_guard lock(mu_);
    return dropped_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable space_;
  std::deque<owned_record> q_;
  std::deque<owned_record> taken_;  // only the draining thread touches it
  std::uint64_t dropped_ = 0;
};

}  // namespace introspect::inline v1::source
