#pragma once
//! Turns a metric registry snapshot into metric records, one per metric per period.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <introspect/core/product_source.hpp>
#include <introspect/core/record.hpp>
#include <introspect/metrics/bucket_text.hpp>
#include <introspect/metrics/registry.hpp>

namespace introspect::inline v1 {

//! Calls emit(record_view) for every registered metric; a histogram carries its summary
//! (count, sum, min, max, p50, p90, p99, since process start) and its bucket counts
//! (`buckets`, metrics/bucket_text.hpp: queries subtract two snapshots to get an interval's
//! percentiles) as fields, and its count as value.
template <class Emit>
void write_metric_snapshot(const metrics::registry& reg, std::int64_t t, Emit&& emit) {
  // Kept across calls: the collector thread writes every period without allocating again.
  thread_local std::string buckets;
  reg.snapshot([&](std::string_view name, const auto& sample) {
    using S = std::remove_cvref_t<decltype(sample)>;
    record_view r;
    r.ts_ns = t;
    r.kind = record_kind::metric;
    r.source = product_source;
    r.name = name;
    if constexpr (std::is_same_v<S, metrics::counter_sample>) {
      r.mtype = metric_type::counter;
      r.val = static_cast<std::int64_t>(sample.value);
      emit(r);
    } else if constexpr (std::is_same_v<S, metrics::gauge_sample>) {
      r.mtype = metric_type::gauge;
      r.val = sample.value;
      emit(r);
    } else {
      if (sample.count == 0) return;
      r.mtype = metric_type::histogram;
      r.val = static_cast<std::int64_t>(sample.count);
      metrics::encode_bucket_text(sample, buckets);
      const field_view f[] = {{"count", static_cast<std::int64_t>(sample.count)},
                              {"sum", sample.sum},
                              {"min", sample.min},
                              {"max", sample.max},
                              {"p50", sample.quantile(0.50)},
                              {"p90", sample.quantile(0.90)},
                              {"p99", sample.quantile(0.99)},
                              {"buckets", std::string_view{buckets}}};
      r.fields = f;
      emit(r);
    }
  });
}

}  // namespace introspect::inline v1
