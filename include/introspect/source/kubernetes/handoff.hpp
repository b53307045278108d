#pragma once
//! The bounded hand-off between the source's thread and the collector's: the source appends
//! batches, the collector takes everything at once; beyond the capacity the oldest events are
//! dropped and counted, so a collector that stops calling never grows memory without bound.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include <introspect/source/kubernetes/event.hpp>

namespace introspect::inline v1::kubernetes {

//! A bounded multi-event queue; the lock is held only to move events, never during I/O.
class handoff {
 public:
  explicit handoff(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  //! Appends `batch` (emptied); drops the oldest events beyond the capacity.
  void push(std::vector<event>& batch) {
    if (batch.empty()) return;
    std::lock_guard lock(mu_);
    for (auto& e : batch) q_.push_back(std::move(e));
    batch.clear();
    while (q_.size() > capacity_) {
      q_.pop_front();
      ++dropped_;
    }
  }

  //! Moves every queued event out, oldest first; the lock is not held while `f` runs.
  template <class F>
  std::size_t drain(F&& f) {
    {
      std::lock_guard lock(mu_);
      taken_.swap(q_);
    }
    const auto n = taken_.size();
    for (auto& e : taken_) f(e);
    taken_.clear();
    return n;
  }

  //! Events dropped so far because the queue was full.
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
  std::deque<event> q_;
  std::deque<event> taken_;  // only the draining thread touches it
  std::uint64_t dropped_ = 0;
};

}  // namespace introspect::inline v1::kubernetes
