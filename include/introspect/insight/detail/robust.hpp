#pragma once
//! Robust statistics for the rules: median, median absolute deviation, Theil–Sen line fit.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace introspect::inline v1::insight::detail {

//! The median of `xs` (reorders it); NaN when empty.
inline double median_inplace(std::span<double> xs) noexcept {
  if (xs.empty()) return std::nan("");
  const auto n = xs.size();
  auto mid = xs.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(xs.begin(), mid, xs.end());
  if (n % 2 == 1) return *mid;
  const double hi = *mid;
  const double lo = *std::max_element(xs.begin(), mid);
  return lo + (hi - lo) / 2;
}

//! Median and MAD (unscaled) of `xs`; `scratch` avoids an allocation per call.
inline void median_mad(std::span<const double> xs, std::vector<double>& scratch, double& median,
                       double& mad) {
  scratch.assign(xs.begin(), xs.end());
  median = median_inplace(scratch);
  for (auto& x : scratch) x = std::fabs(x - median);
  mad = median_inplace(scratch);
}

//! A fitted line v = intercept + slope * (t - t0).
struct line_fit {
  double slope = 0;
  double intercept = 0;  // the fitted value at t0
  double t0 = 0;
  bool ok = false;
  double at(double t) const noexcept { return intercept + slope * (t - t0); }
};

//! Theil–Sen estimator: the median of the pairwise slopes, then the median intercept. Robust to
//! up to ~29% outliers; O(n^2), so callers keep n small (the exhaustion rule fits <= 64 points).
//! With `min_lag` > 1 only pairs at least that many points apart take part: for evenly spaced
//! points those are the least noisy slopes, and n/2 cuts the pairs (and the time) by 3.6 for
//! n = 30 while one outlier still spoils at most n/2 of them.
inline line_fit theil_sen(std::span<const double> t, std::span<const double> v,
                          std::vector<double>& scratch, std::size_t min_lag = 1) {
  line_fit f;
  const auto n = std::min(t.size(), v.size());
  if (n < 2) return f;
  scratch.clear();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + std::max<std::size_t>(min_lag, 1); j < n; ++j)
      if (t[j] != t[i]) scratch.push_back((v[j] - v[i]) / (t[j] - t[i]));
  if (scratch.empty()) return f;
  f.slope = median_inplace(scratch);
  f.t0 = t[n - 1];
  scratch.clear();
  for (std::size_t i = 0; i < n; ++i) scratch.push_back(v[i] - f.slope * (t[i] - f.t0));
  f.intercept = median_inplace(scratch);
  f.ok = std::isfinite(f.slope) && std::isfinite(f.intercept);
  return f;
}

}  // namespace introspect::inline v1::insight::detail
