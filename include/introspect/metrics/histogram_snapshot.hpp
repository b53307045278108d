#pragma once
// A plain-value copy of a histogram: mergeable and queryable for quantiles.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "introspect/metrics/detail/log_linear.hpp"
#include "introspect/metrics/metric_type.hpp"

namespace introspect::inline v1::metrics {

//! Counts per log-linear bucket plus count, sum, min and max; merge() adds another snapshot.
//!
//! Negative observations are counted in bucket 0 (they clamp to zero for bucketing) but keep their
//! sign in sum, min and max; quantile() clamps its answer into [min, max].
struct histogram_snapshot {
  static constexpr metric_type type = metric_type::histogram;

  std::array<std::uint64_t, detail::bucket_count> buckets{};
  std::uint64_t count = 0;
  std::int64_t sum = 0;  //!< wraps modulo 2^64 if the true sum does not fit
  std::int64_t min = std::numeric_limits<std::int64_t>::max();  //!< max() while empty
  std::int64_t max = std::numeric_limits<std::int64_t>::min();  //!< min() while empty

  //! True when nothing was observed.
  [[nodiscard]] bool empty() const noexcept { return count == 0; }

  //! Mean of the observations, 0 when empty.
  [[nodiscard]] double mean() const noexcept {
    return count == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(count);
  }

  //! The value at quantile `q` in [0, 1] (0.5 = median), within the bucket error (<= 3.1%).
  [[nodiscard]] std::int64_t quantile(double q) const noexcept {
    if (count == 0) return 0;
    if (!(q > 0)) return min;  // also catches NaN
    if (q >= 1) return max;
    // The rank of the wanted observation, 1-based: the smallest r with r >= q * count.
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
    std::uint64_t seen = 0;
    for (unsigned i = 0; i < detail::bucket_count; ++i) {
      seen += buckets[i];
      if (seen >= rank) {
        const auto mid = detail::bucket_mid(i);
        const auto v = mid > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                           ? std::numeric_limits<std::int64_t>::max()
                           : static_cast<std::int64_t>(mid);
        return std::clamp(v, min, max);
      }
    }
    return max;  // only if buckets and count disagree (a snapshot torn by concurrent updates)
  }

  //! Adds `other`'s observations to this snapshot.
  histogram_snapshot& merge(const histogram_snapshot& other) noexcept {
    for (unsigned i = 0; i < detail::bucket_count; ++i) buckets[i] += other.buckets[i];
    count += other.count;
    sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(sum) +
                                    static_cast<std::uint64_t>(other.sum));
    min = std::min(min, other.min);
    max = std::max(max, other.max);
    return *this;
  }
};

}  // namespace introspect::inline v1::metrics
