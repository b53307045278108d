#pragma once
//! Interval semantics of cumulative metrics, the way PromQL computes `increase`, `rate` and
//! `histogram_quantile`: a counter or a histogram snapshot holds totals since its process
//! started, so what happened in an interval is the difference of successive samples of one
//! series (a counter reset, a value below the previous one, counts from zero again).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/metrics/bucket_text.hpp>
#include <introspect/metrics/detail/log_linear.hpp>

namespace introspect::inline v1::query::agg {

//! One sample of a cumulative series: a counter's value, or a histogram's count, sum and
//! buckets (empty `buckets` with `has_buckets` false: a snapshot written before they were).
struct cumulative_sample {
  std::int64_t ts_ns = 0;
  double value = 0;  //!< counter value, or histogram count
  double sum = 0;    //!< histogram sum of observations
  bool has_buckets = false;
  std::vector<metrics::bucket_count_entry> buckets;
};

//! What the sample pairs of one interval add up to, for one group of series.
struct interval_totals {
  double increase = 0;  //!< counter increase, or histogram observations
  double rate = 0;      //!< the sum over series of increase / covered seconds
  double sum = 0;       //!< histogram: sum of the interval's observations
  bool histogram = false;
  bool missing_buckets = false;  //!< a pair lacked bucket counts: no interval percentile
  std::map<unsigned, std::uint64_t> buckets;  //!< histogram: the interval's bucket counts

  //! The value at quantile `q` (0.99) of the interval's observations, from the bucket midpoints
  //! (within 3.1%, metrics/detail/log_linear.hpp); NaN without observations or buckets.
  double quantile(double q) const {
    std::uint64_t total = 0;
    for (const auto& [i, c] : buckets) total += c;
    if (missing_buckets || total == 0) return std::nan("");
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
    std::uint64_t seen = 0;
    for (const auto& [i, c] : buckets) {
      seen += c;
      if (seen >= rank) return static_cast<double>(metrics::detail::bucket_mid(i));
    }
    return std::nan("");
  }

  //! The interval's mean observation; NaN without observations.
  double mean() const { return increase > 0 ? sum / increase : std::nan(""); }
};

//! The samples of one series, in any order until pairs() sorts them.
class cumulative_series {
 public:
  void add(cumulative_sample s) { samples_.push_back(std::move(s)); }

  //! Calls `visit(prev, cur)` for each pair of successive samples in time order.
  template <class F>
  void pairs(F&& visit) {
    std::stable_sort(samples_.begin(), samples_.end(),
                     [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
    for (std::size_t i = 1; i < samples_.size(); ++i) visit(samples_[i - 1], samples_[i]);
  }

 private:
  std::vector<cumulative_sample> samples_;
};

//! Adds the pair (prev, cur) of one series to `t`: the increase (a reset counts from zero),
//! its share of the rate, and for a histogram the interval's sum and bucket counts.
inline void add_pair(interval_totals& t, const cumulative_sample& prev,
                     const cumulative_sample& cur, bool histogram, double& series_increase,
                     double& series_seconds) {
  const bool reset = cur.value < prev.value;
  const double inc = reset ? cur.value : cur.value - prev.value;
  t.increase += inc;
  series_increase += inc;
  series_seconds += static_cast<double>(cur.ts_ns - prev.ts_ns) / 1e9;
  if (!histogram) return;
  t.histogram = true;
  t.sum += reset ? cur.sum : cur.sum - prev.sum;
  if (!cur.has_buckets || (!reset && !prev.has_buckets)) {
    t.missing_buckets = true;
    return;
  }
  // Both lists are ascending by index: a merge walk subtracts prev from cur.
  std::size_t j = 0;
  for (const auto& e : cur.buckets) {
    std::uint64_t before = 0;
    if (!reset) {
      while (j < prev.buckets.size() && prev.buckets[j].index < e.index) ++j;
      if (j < prev.buckets.size() && prev.buckets[j].index == e.index)
        before = prev.buckets[j].count;
    }
    if (e.count > before) t.buckets[e.index] += e.count - before;
  }
}

}  // namespace introspect::inline v1::query::agg
