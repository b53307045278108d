#pragma once
//! The offline driver: feeds records in time order to an engine and evaluates it at every period
//! boundary, exactly as the online writer thread does.
#include <cstdint>

#include <introspect/core/record.hpp>

namespace introspect::inline v1::insight {

//! Evaluates at each multiple B of the period once every record with ts <= B has been observed
//! (that is, just before the first record with ts > B), so an online writer that calls
//! evaluate(B) after writing the records of its period B gets the same insights. Inside a gap
//! of more than `max_idle` periods without records the boundaries are not all evaluated: the
//! first `max_idle` are, then the last one before the next record (heartbeats still see the
//! silence; a replay over a week-long gap does not cost a week of ticks).
template <class Engine>
class replay {
 public:
  explicit replay(Engine& e, std::int64_t period_ns = 0, std::int64_t max_idle = 3600)
      : e_(e), period_(period_ns > 0 ? period_ns : e.opts().period_ns), max_idle_(max_idle) {}

  //! Observes `r` after evaluating every boundary it passes; emit(const record&) gets insights.
  template <class Rec, class Emit>
  void observe(const Rec& r, Emit&& emit) {
    advance(r.ts_ns, emit);
    e_.observe(r);
  }

  //! Evaluates every boundary a record at `ts` passes, as observe() does, without observing a
  //! record. It depends on `ts` only through its period (the boundary at or after it): a
  //! replay that feeds the engine only the records its rules select calls advance() once per
  //! period that held any record, and evaluates exactly the boundaries a full replay does.
  template <class Emit>
  void advance(std::int64_t ts, Emit&& emit) {
    if (!started_) {
      started_ = true;
      next_ = floor_to(ts);
      if (next_ < ts) next_ += period_;
    }
    std::int64_t idle = 0;
    while (ts > next_) {
      e_.evaluate(next_, emit);
      next_ += period_;
      if (++idle == max_idle_ && ts > next_) {
        const auto last = floor_to(ts - 1);
        if (last > next_) next_ = last;
      }
    }
  }

  //! The period a record at `ts` belongs to: k such that (k-1)·period < ts <= k·period (the
  //! records between two evaluations).
  std::int64_t period_of(std::int64_t ts) const noexcept { return floor_to(ts - 1) / period_ + 1; }

  std::int64_t period_ns() const noexcept { return period_; }

  //! Evaluates the boundary at or after the last record (the end of the data).
  template <class Emit>
  void finish(Emit&& emit) {
    if (!started_) return;
    e_.evaluate(next_, emit);
    next_ += period_;
  }

  //! The next boundary to be evaluated.
  std::int64_t next_boundary() const noexcept { return next_; }

 private:
  std::int64_t floor_to(std::int64_t t) const noexcept {
    const auto q = t / period_;
    return (t % period_ < 0 ? q - 1 : q) * period_;
  }

  Engine& e_;
  std::int64_t period_;
  std::int64_t max_idle_;
  bool started_ = false;
  std::int64_t next_ = 0;
};

}  // namespace introspect::inline v1::insight
