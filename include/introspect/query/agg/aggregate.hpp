#pragma once
//! `--agg`: count, sum, min, max, avg, p50, p90, p99, rate and increase over matching records,
//! optionally of a field (`--field`), grouped `--by` a field and bucketed `--every` a duration.
//! Counters and histogram snapshots are cumulative: their rate, increase, mean, sum and
//! percentiles come from successive samples of each series (query/agg/interval.hpp, docs/cli.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/query/agg/interval.hpp>
#include <introspect/query/expr/field_ref.hpp>

namespace introspect::inline v1::query::agg {

//! An aggregate function.
enum class agg_fn { count, sum, min, max, avg, p50, p90, p99, rate, increase };

inline constexpr std::string_view agg_names[] = {"count", "sum", "min", "max",  "avg",
                                                 "p50",   "p90", "p99", "rate", "increase"};

inline constexpr std::string_view to_string(agg_fn f) noexcept {
  return agg_names[static_cast<int>(f)];
}

inline std::optional<agg_fn> parse_agg_fn(std::string_view s) noexcept {
  for (int i = 0; i < 10; ++i)
    if (agg_names[i] == s) return static_cast<agg_fn>(i);
  return std::nullopt;
}

//! What to aggregate and how to group.
struct agg_spec {
  agg_fn fn = agg_fn::count;
  std::optional<expr::field_ref> by;     //!< one group per distinct text of this field
  std::optional<expr::field_ref> field;  //!< aggregate this field (as a point value), not the value
  std::int64_t every_ns = 0;             //!< bucket width; 0: one bucket for the whole range
  //! The time range for rate without buckets; unset ends come from the records seen.
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();
};

//! One result row: a bucket (its start; 0 when not bucketed), a group key and the result.
//! `value` is NaN when the function has no numeric input (avg of strings, say).
struct agg_row {
  std::int64_t bucket_ns = 0;
  std::string key;
  double value = 0;
  std::uint64_t records = 0;
  //! A histogram in the group had snapshots without bucket counts (written by an older
  //! version): its interval percentile is unknown (value NaN).
  bool missing_buckets = false;
};

//! Accumulates records into groups. Numeric inputs are the record's value (integers, reals,
//! booleans as 0/1) or the `--field`; records without a numeric value count for `count` only,
//! and as 1 for `rate` and `increase`, which are the sum per second and the sum (so events per
//! second for notifications). Counter and histogram values are cumulative: for rate and
//! increase (and a histogram's sum, avg and percentiles) each series (instance, name, group)
//! keeps its samples and rows() takes the differences of successive ones.
class aggregator {
 public:
  explicit aggregator(agg_spec spec) : spec_(std::move(spec)) {}
  aggregator(aggregator&&) = default;  // nodes of the map, and so last_group_, stay put
  aggregator(const aggregator&) = delete;

  //! Adds `r`, a record or a scanned_record; the result does not depend on the order of adds
  //! (sums are compensated, so that any order gives the same value to the last bits or so).
  template <class R>
  void add(const R& r) {
    const std::int64_t bucket = bucket_of(r.ts_ns);
    if (spec_.by) key_ = expr::field_text(r, *spec_.by);
    group& g = group_of(bucket);
    ++g.n;
    if (spec_.fn == agg_fn::count) return;  // the only function that needs nothing more
    if (interval_of(r.mtype)) {
      add_sample(r);
      return;
    }
    ++g.points;
    first_ = std::min(first_, r.ts_ns);
    last_ = std::max(last_, r.ts_ns);
    const value_view v = spec_.field ? expr::get_field(r, *spec_.field) : to_view(r.val);
    const bool numeric = v.type() == value_type::integer || v.type() == value_type::real ||
                         v.type() == value_type::boolean;
    const double x = v.as_number();
    g.rate_sum.add(numeric ? x : 1.0);
    if (!numeric) return;
    ++g.numeric;
    g.sum.add(x);
    g.min = std::min(g.min, x);
    g.max = std::max(g.max, x);
    if (spec_.fn == agg_fn::p50 || spec_.fn == agg_fn::p90 || spec_.fn == agg_fn::p99)
      g.samples.push_back(x);
  }

  //! Rows ordered by bucket, then key.
  std::vector<agg_row> rows() {
    pair_up();
    std::vector<agg_row> out;
    out.reserve(groups_.size());
    for (auto& [k, g] : groups_)
      out.push_back({k.first, k.second, result(g), g.n, g.iv.histogram && g.iv.missing_buckets});
    return out;
  }

  const agg_spec& spec() const noexcept { return spec_; }

 private:
  // Neumaier's compensated sum: exact enough that the order of the records does not show.
  struct compensated {
    double sum = 0, comp = 0;
    void add(double x) noexcept {
      const double t = sum + x;
      if (std::isfinite(t)) comp += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
      sum = t;
    }
    double value() const noexcept { return std::isfinite(sum) ? sum + comp : sum; }
  };
  struct group {
    std::uint64_t n = 0, numeric = 0, points = 0;
    interval_totals iv;  // from the cumulative series
    compensated sum, rate_sum;
    double min = std::numeric_limits<double>::infinity();
    double max = -std::numeric_limits<double>::infinity();
    std::vector<double> samples;
  };

  double percentile(group& g, double p) const {
    if (g.iv.histogram) return g.iv.quantile(p / 100.0);
    if (g.samples.empty()) return std::nan("");
    // Nearest rank: the smallest sample with at least p% of samples at or below it.
    auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(g.samples.size())));
    if (rank == 0) rank = 1;
    auto nth = g.samples.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(g.samples.begin(), nth, g.samples.end());
    return *nth;
  }

  double seconds() const {
    if (spec_.every_ns > 0) return static_cast<double>(spec_.every_ns) / 1e9;
    const auto lo =
        spec_.since_ns != std::numeric_limits<std::int64_t>::min() ? spec_.since_ns : first_;
    const auto hi =
        spec_.until_ns != std::numeric_limits<std::int64_t>::max() ? spec_.until_ns : last_;
    const double s = static_cast<double>(hi - lo) / 1e9;
    return s > 0 ? s : 1.0;  // one instant: per second of that instant
  }

  double result(group& g) const {
    const double nan = std::nan("");
    switch (spec_.fn) {
      case agg_fn::count:
        return static_cast<double>(g.n);
      case agg_fn::sum:
        if (g.iv.histogram) return g.iv.sum + (g.numeric ? g.sum.value() : 0.0);
        return g.numeric ? g.sum.value() : nan;
      case agg_fn::min:
        return g.numeric ? g.min : nan;
      case agg_fn::max:
        return g.numeric ? g.max : nan;
      case agg_fn::avg:
        if (g.iv.histogram) return g.iv.mean();
        return g.numeric ? g.sum.value() / static_cast<double>(g.numeric) : nan;
      case agg_fn::p50:
        return percentile(g, 50);
      case agg_fn::p90:
        return percentile(g, 90);
      case agg_fn::p99:
        return percentile(g, 99);
      case agg_fn::rate:
        return g.iv.rate + (g.points ? g.rate_sum.value() / seconds() : 0.0);
      case agg_fn::increase:
        return g.iv.increase + g.rate_sum.value();
    }
    return nan;
  }

  // Counters for rate and increase; histograms also for sum, avg and percentiles. A --field
  // is a point value (fields.p99 of a snapshot, say), so it takes the plain path.
  bool interval_of(metric_type t) const noexcept {
    if (spec_.field) return false;
    if (t == metric_type::counter) return spec_.fn == agg_fn::rate || spec_.fn == agg_fn::increase;
    if (t != metric_type::histogram) return false;
    return spec_.fn != agg_fn::min && spec_.fn != agg_fn::max;
  }

  template <class R>
  void add_sample(const R& r) {
    static const expr::field_ref sum_ref{expr::field_ref::part::field, "sum"};
    static const expr::field_ref buckets_ref{expr::field_ref::part::field, "buckets"};
    cumulative_sample smp;
    smp.ts_ns = r.ts_ns;
    smp.value = to_view(r.val).as_number();
    if (r.mtype == metric_type::histogram) {
      smp.sum = expr::get_field(r, sum_ref).as_number();
      const auto b = expr::get_field(r, buckets_ref);
      smp.has_buckets =
          b.type() == value_type::string && metrics::decode_bucket_text(b.as_string(), smp.buckets);
    }
    const std::string_view inst{r.instance}, name{r.name};
    if (!last_series_ || last_series_->first.key != key_ || last_series_->first.instance != inst ||
        last_series_->first.name != name)
      last_series_ =
          &*series_.try_emplace(series_key{key_, std::string(inst), std::string(name)}).first;
    auto& s = last_series_->second;
    s.histogram = r.mtype == metric_type::histogram;
    s.samples.add(std::move(smp));
  }

  // Differences of successive samples, each pair in the bucket of its later sample; a
  // series' share of a group's rate is its increase over the seconds its pairs cover there.
  void pair_up() {
    for (auto& [k, s] : series_) {
      std::map<group*, std::pair<double, double>> share;
      s.samples.pairs([&](const cumulative_sample& a, const cumulative_sample& b) {
        key_ = k.key;
        group& g = group_of(bucket_of(b.ts_ns));
        auto& [inc, secs] = share[&g];
        add_pair(g.iv, a, b, s.histogram, inc, secs);
      });
      for (auto& [g, v] : share)
        if (v.second > 0) g->iv.rate += v.first / v.second;
    }
    series_.clear();
    last_series_ = nullptr;
  }

  std::int64_t bucket_of(std::int64_t ts) const noexcept {
    if (spec_.every_ns <= 0) return 0;
    std::int64_t b = ts / spec_.every_ns * spec_.every_ns;
    if (ts < 0 && ts % spec_.every_ns) b -= spec_.every_ns;
    return b;
  }

  struct series_key {
    std::string key, instance, name;
    bool operator<(const series_key& o) const {
      if (key != o.key) return key < o.key;
      if (instance != o.instance) return instance < o.instance;
      return name < o.name;
    }
  };
  struct series {
    bool histogram = false;
    cumulative_series samples;
  };

  struct key_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      if (a.first != b.first) return a.first < b.first;
      return std::string_view{a.second} < std::string_view{b.second};
    }
  };

  using group_map = std::map<std::pair<std::int64_t, std::string>, group, key_less>;

  // Records come in runs of one group (one bucket, one key): look the map up only on a change.
  group& group_of(std::int64_t bucket) {
    if (last_group_ && last_group_->first.first == bucket && last_group_->first.second == key_)
      return last_group_->second;
    auto it = groups_.find(std::pair<std::int64_t, std::string_view>{bucket, key_});
    if (it == groups_.end())
      it = groups_.emplace(std::pair<std::int64_t, std::string>{bucket, key_}, group{}).first;
    last_group_ = &*it;
    return it->second;
  }

  agg_spec spec_;
  group_map groups_;
  group_map::value_type* last_group_ = nullptr;  // a node of groups_ (stable when moved)
  std::map<series_key, series> series_;
  std::map<series_key, series>::value_type* last_series_ = nullptr;
  std::string key_;
  std::int64_t first_ = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace introspect::inline v1::query::agg
