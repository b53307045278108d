#pragma once
//! The bounded hand-off between the etcd source's thread and the collector's. Unlike a hot-path
//! buffer it never drops: a snapshot with a hole would not be consistent, so when it is full
//! the source's own thread waits (the watch resumes from its revision later); the collector
//! never waits.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include <introspect/source/etcd/event.hpp>

namespace introspect::inline v1::etcd {

//! A bounded queue of events; the lock is held only to move events, never during I/O.
class handoff {
 public:
  explicit handoff(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  //! Appends `batch` (emptied), waiting while the queue is full; returns false (batch kept)
  //! when `cancelled()` becomes true while waiting. A batch larger than the capacity is
  //! appended once the queue is empty.
  template <class Cancelled>
  bool push(std::vector<event>& batch, Cancelled&& cancelled) {
    if (batch.empty()) return true;
    std::unique_lock lock(mu_);
    while (!q_.empty() && q_.size() + batch.size() > capacity_) {
      if (cancelled()) return false;
      space_.wait_for(lock, std::chrono::milliseconds(50));
    }
    for (auto& e : batch) q_.push_back(std::move(e));
    batch.clear();
    return true;
  }

  //! Moves every queued event out, oldest first; the lock is not held while `f` runs.
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

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return q_.size();
  }

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable space_;
  std::deque<event> q_;
  std::deque<event> taken_;  // only the draining thread touches it
};

}  // namespace introspect::inline v1::etcd
