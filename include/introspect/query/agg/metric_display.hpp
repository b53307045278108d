#pragma once
//! What a table shows for a metric record: a counter's value and its rate since the previous
//! sample; a histogram's count, and the mean and p99 of the interval since its previous
//! snapshot (its cumulative count alone reads like a latency, and its stored p99 is since the
//! process started, so it stays high long after a spike ended).
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/query/agg/interval.hpp>

namespace introspect::inline v1::query::agg {

//! Remembers the previous sample of each series (instance, name) to show intervals.
class metric_display {
 public:
  //! The VALUE text of `r`, or empty when `r` is not a counter or histogram.
  std::string text(const record& r) {
    if (r.kind != record_kind::metric) return {};
    if (r.mtype != metric_type::counter && r.mtype != metric_type::histogram) return {};
    cumulative_sample cur;
    cur.ts_ns = r.ts_ns;
    cur.value = to_view(r.val).as_number();
    if (r.mtype == metric_type::histogram) {
      if (const auto* s = r.find_field("sum")) cur.sum = to_view(*s).as_number();
      if (const auto* b = r.find_field("buckets"); b && to_view(*b).type() == value_type::string)
        cur.has_buckets = metrics::decode_bucket_text(to_view(*b).as_string(), cur.buckets);
    }
    auto [it, first] = prev_.try_emplace(std::pair{r.instance, r.name});
    std::string out;
    if (r.mtype == metric_type::counter) {
      out = number(cur.value);
      const auto& p = it->second;
      if (!first && cur.ts_ns > p.ts_ns) {
        const double inc = cur.value >= p.value ? cur.value - p.value : cur.value;
        out +=
            fmt::format(" ({}/s)", number(inc / (static_cast<double>(cur.ts_ns - p.ts_ns) / 1e9)));
      }
    } else if (first || cur.ts_ns <= it->second.ts_ns) {
      // No previous snapshot: what the record itself says, since its process started.
      const double mean = cur.value > 0 ? cur.sum / cur.value : std::nan("");
      out = fmt::format("n={} mean={}", number(cur.value), number(mean));
      if (const auto* p = r.find_field("p99")) out += " p99=" + number(to_view(*p).as_number());
      out += " (since start)";
    } else {
      interval_totals t;
      double inc = 0, secs = 0;
      add_pair(t, it->second, cur, true, inc, secs);
      out = fmt::format("n={} +{}", number(cur.value), number(t.increase));
      if (t.increase > 0) {
        out += " mean=" + number(t.mean());
        const double p99 = t.quantile(0.99);
        if (!std::isnan(p99)) out += " p99=" + number(p99);
      }
    }
    it->second = std::move(cur);
    return out;
  }

 private:
  // Readable numbers: integers as integers, others with 3 significant digits below 1000.
  static std::string number(double v) {
    if (std::isnan(v)) return "-";
    if (v == std::floor(v) && std::abs(v) < 1e15)
      return fmt::format("{}", static_cast<long long>(v));
    if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
    return fmt::format("{:.3g}", v);
  }

  std::map<std::pair<std::string, std::string>, cumulative_sample> prev_;
};

}  // namespace introspect::inline v1::query::agg
