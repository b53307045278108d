#pragma once
//! Puts records that share one timestamp into a canonical order (by kind, then as they came), so
//! that one instance reads the same whatever its mapping: a single stream interleaves the kinds
//! of one instant in write order, streams per kind merge them in stream order.
#include <algorithm>
#include <memory>
#include <vector>

#include <introspect/query/read/record_cursor.hpp>

namespace introspect::inline v1::query::read {

//! Wraps a time-ordered source; each run of equal timestamps is released stably sorted by kind.
//! Within one kind the input order is kept (it is the write order in every mapping).
class tie_order_cursor final : public record_cursor {
 public:
  explicit tie_order_cursor(std::unique_ptr<record_cursor> in) : in_(std::move(in)) {}

  bool next(record& out) override {
    if (pos_ == run_.size() && !fill()) return false;
    std::swap(out, run_[order_[pos_++]]);
    return true;
  }

 private:
  // Reads the next run of equal timestamps (plus one look-ahead record kept in `ahead_`).
  bool fill() {
    run_.clear();
    order_.clear();
    pos_ = 0;
    if (!has_ahead_) {
      if (done_ || !in_->next(ahead_)) return done_ = true, false;
      has_ahead_ = true;
    }
    const auto ts = ahead_.ts_ns;
    bool mixed = false;
    while (has_ahead_ && ahead_.ts_ns == ts) {
      if (!run_.empty() && run_.back().kind != ahead_.kind) mixed = true;
      run_.push_back(std::move(ahead_));
      has_ahead_ = !done_ && in_->next(ahead_);
      if (!has_ahead_) done_ = true;
    }
    for (std::size_t i = 0; i < run_.size(); ++i) order_.push_back(i);
    if (mixed)
      std::stable_sort(order_.begin(), order_.end(),
                       [&](std::size_t a, std::size_t b) { return run_[a].kind < run_[b].kind; });
    return true;
  }

  std::unique_ptr<record_cursor> in_;
  std::vector<record> run_;
  std::vector<std::size_t> order_;
  std::size_t pos_ = 0;
  record ahead_;
  bool has_ahead_ = false;
  bool done_ = false;
};

}  // namespace introspect::inline v1::query::read
