#pragma once
// Exponential retry backoff for a failing source (or part of one).

#include <algorithm>
#include <chrono>

namespace introspect::inline v1::source {

//! When a failing source may be tried again: the delay doubles per failure, up to a cap.
class backoff {
 public:
  using clock = std::chrono::steady_clock;

  //! First retry after `initial`, doubling up to `cap`.
  explicit backoff(clock::duration initial = std::chrono::seconds(1),
                   clock::duration cap = std::chrono::minutes(5)) noexcept
      : initial_(std::max(initial, clock::duration(1))), cap_(std::max(cap, initial_)) {}

  //! Whether an attempt is due at `now` (always true after a success).
  [[nodiscard]] bool ready(clock::time_point now) const noexcept { return now >= next_; }
  //! Records a failed attempt at `now` and schedules the next one.
  void failed(clock::time_point now) noexcept {
    delay_ = failures_ == 0 ? initial_ : std::min(cap_, delay_ * 2);
    ++failures_;
    next_ = now + delay_;
  }
  //! Records a success: the next attempt is due at once and the delay resets.
  void succeeded() noexcept {
    failures_ = 0;
    delay_ = clock::duration::zero();
    next_ = clock::time_point::min();
  }
  //! Consecutive failures so far.
  [[nodiscard]] unsigned failures() const noexcept { return failures_; }
  //! The earliest time of the next attempt (time_point::min() when not backing off).
  [[nodiscard]] clock::time_point next_attempt() const noexcept { return next_; }
  //! The delay applied after the last failure.
  [[nodiscard]] clock::duration delay() const noexcept { return delay_; }

 private:
  clock::duration initial_;
  clock::duration cap_;
  clock::duration delay_{};
  clock::time_point next_ = clock::time_point::min();
  unsigned failures_ = 0;
};

}  // namespace introspect::inline v1::source
