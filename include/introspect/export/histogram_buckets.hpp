#pragma once
//! The cumulative Prometheus buckets of a stored histogram snapshot (its `buckets` field): a
//! bucket at every power of two of the recorded unit, `le` = 2^k − 1, the same edges the live
//! endpoint (expose/registry_exposition.hpp) shows.
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/export/prom_names.hpp>
#include <introspect/metrics/bucket_text.hpp>
#include <introspect/metrics/detail/log_linear.hpp>

namespace introspect::inline v1::exporters::detail {

//! Cumulative counts at le = 2^k − 1 for k = 0, 1, … up to the first edge that holds every
//! non-empty bucket. Exact: 2^k is a bucket edge of the log-linear layout, so no bucket straddles
//! an `le`. Empty (and false) when `r` has no bucket text or one of another layout (a store
//! written before buckets were recorded): the histogram then has only its `+Inf` bucket.
inline bool power_of_two_buckets(const record& r, std::vector<std::uint64_t>& cum) {
  cum.clear();
  const auto* b = r.find_field("buckets");
  if (!b || to_view(*b).type() != value_type::string) return false;
  std::vector<metrics::bucket_count_entry> e;
  if (!metrics::decode_bucket_text(to_view(*b).as_string(), e)) return false;
  std::uint64_t c = 0;
  std::size_t j = 0;
  for (unsigned k = 0; k < 64 && j < e.size(); ++k) {
    const unsigned end = metrics::detail::bucket_index(std::uint64_t{1} << k);
    for (; j < e.size() && e[j].index < end; ++j) c += e[j].count;
    cum.push_back(c);
  }
  return true;
}

//! The `le` label value of bucket k in the family's base unit ("+Inf" past the last edge).
inline std::string bucket_le(unsigned k, double scale) {
  if (k >= 64) return "+Inf";
  return number(scaled(static_cast<double>((std::uint64_t{1} << k) - 1), scale));
}

//! Appends the `_bucket` lines of one histogram sample: `cum` padded with `count` up to `edges`
//! buckets (a series shows the same edges in every sample), then `+Inf`. `labels` is the inner
//! label text ("a=\"1\",b=\"2\"" or empty); `suffix` is written after each value (" <ts>" for
//! OpenMetrics history, or nothing).
inline void write_buckets(std::string& out, std::string_view family, std::string_view labels,
                          const std::vector<std::uint64_t>& cum, std::size_t edges, double count,
                          double scale, std::string_view suffix) {
  const std::string_view sep = labels.empty() ? "" : ",";
  for (std::size_t k = 0; k < edges; ++k) {
    const double v = k < cum.size() ? static_cast<double>(cum[k]) : count;
    fmt::format_to(std::back_inserter(out), "{}_bucket{{{}{}le=\"{}\"}} {}{}\n", family, labels,
                   sep, bucket_le(static_cast<unsigned>(k), scale), number(v), suffix);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{{}{}le=\"+Inf\"}} {}{}\n", family, labels,
                 sep, number(count), suffix);
}

}  // namespace introspect::inline v1::exporters::detail
