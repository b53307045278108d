#pragma once
// The vocabulary shared by metric handles, snapshots and registry visitors.

#include <cstdint>
#include <string_view>

namespace introspect::inline v1::metrics {

//! The three kinds of metric a registry holds.
enum class metric_type : std::uint8_t { counter, gauge, histogram };

//! The name of a metric type as written in records ("counter", "gauge", "histogram").
[[nodiscard]] constexpr std::string_view to_string(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "unknown";
}

//! A counter's value at snapshot time.
struct counter_sample {
  static constexpr metric_type type = metric_type::counter;
  std::uint64_t value = 0;
};

//! A gauge's value at snapshot time.
struct gauge_sample {
  static constexpr metric_type type = metric_type::gauge;
  double value = 0;
};

}  // namespace introspect::inline v1::metrics
