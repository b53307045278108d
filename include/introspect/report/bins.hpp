#pragma once
//! Min/max per time column for a plot: a series of any length becomes at most 2 points per
//! pixel column (the way a plot of many points looks anyway), in one pass over time-ordered
//! samples and without knowing the time range in advance (the bin width doubles as needed).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace introspect::inline v1::report {

//! The minimum and maximum of a series per time bin; bins widen (pairs merge) as time goes on.
class minmax_bins {
 public:
  //! One bin that holds samples.
  struct bin {
    std::int64_t t0 = 0, t1 = 0;  //!< the bin's time range [t0, t1)
    double lo = 0, hi = 0;
    double first = 0, last = 0;  //!< in time order (the line passes first, lo/hi, last)
    std::uint32_t n = 0;
  };

  explicit minmax_bins(std::size_t bins = 2400) : n_(bins) {}

  //! Adds a sample; `ts` must not go backwards by more than one bin (records come in order).
  void add(std::int64_t ts, double v) {
    if (!std::isfinite(v)) return;
    if (lo_.empty()) {
      t0_ = ts;
      lo_.assign(n_, std::numeric_limits<double>::quiet_NaN());
      hi_ = first_ = last_ = lo_;
      cnt_.assign(n_, 0);
    }
    const auto d = ts < t0_ ? 0 : ts - t0_;
    auto i = static_cast<std::size_t>(d / w_);
    while (i >= n_) {
      widen();
      i = static_cast<std::size_t>(d / w_);
    }
    if (cnt_[i] == 0) {
      lo_[i] = hi_[i] = first_[i] = v;
    } else {
      lo_[i] = std::min(lo_[i], v);
      hi_[i] = std::max(hi_[i], v);
    }
    last_[i] = v;
    ++cnt_[i];
    ++samples_;
  }

  std::uint64_t samples() const noexcept { return samples_; }

  //! The bins that hold samples, in time order.
  std::vector<bin> bins() const {
    std::vector<bin> out;
    for (std::size_t i = 0; i < lo_.size(); ++i)
      if (cnt_[i])
        out.push_back({t0_ + static_cast<std::int64_t>(i) * w_,
                       t0_ + static_cast<std::int64_t>(i + 1) * w_, lo_[i], hi_[i], first_[i],
                       last_[i], cnt_[i]});
    return out;
  }

 private:
  void widen() {
    for (std::size_t j = 0; j < n_ / 2; ++j) {
      const auto a = 2 * j, b = 2 * j + 1;
      if (cnt_[a] && cnt_[b]) {
        lo_[j] = std::min(lo_[a], lo_[b]);
        hi_[j] = std::max(hi_[a], hi_[b]);
        first_[j] = first_[a];
        last_[j] = last_[b];
      } else {
        const auto k = cnt_[a] ? a : b;
        lo_[j] = lo_[k], hi_[j] = hi_[k], first_[j] = first_[k], last_[j] = last_[k];
      }
      cnt_[j] = cnt_[a] + cnt_[b];
    }
    for (std::size_t j = n_ / 2; j < n_; ++j) cnt_[j] = 0;
    w_ *= 2;
  }

  std::size_t n_;
  std::int64_t t0_ = 0, w_ = 1'000'000;  // 1 ms to start with
  std::vector<double> lo_, hi_, first_, last_;
  std::vector<std::uint32_t> cnt_;
  std::uint64_t samples_ = 0;
};

}  // namespace introspect::inline v1::report
