#pragma once
//! Record kinds, severities and metric types: the vocabulary shared by every layer.
#include <cstdint>
#include <optional>
#include <string_view>

namespace introspect::inline v1 {

//! The kind of a stored record; the numeric values are part of the on-disk format.
enum class record_kind : std::uint8_t {
  state = 1,
  metric = 2,
  notification = 3,
  insight = 4,
  record = 5,  // a user struct reflected with Boost.Hana
  snapshot = 6,
  meta = 7,  // introspect's own health: file headers, drop counts, errors
};

//! Severity of a notification or insight, ordered from least to most severe.
enum class severity : std::uint8_t { debug = 0, info, notice, warning, error, critical };

//! What a metric record's value means.
enum class metric_type : std::uint8_t { none = 0, counter, gauge, histogram };

inline constexpr record_kind all_record_kinds[] = {
    record_kind::state,  record_kind::metric,   record_kind::notification, record_kind::insight,
    record_kind::record, record_kind::snapshot, record_kind::meta};

constexpr std::string_view to_string(record_kind k) noexcept {
  switch (k) {
    case record_kind::state:
      return "state";
    case record_kind::metric:
      return "metric";
    case record_kind::notification:
      return "notification";
    case record_kind::insight:
      return "insight";
    case record_kind::record:
      return "record";
    case record_kind::snapshot:
      return "snapshot";
    case record_kind::meta:
      return "meta";
  }
  return "unknown";
}

constexpr std::string_view to_string(severity s) noexcept {
  constexpr std::string_view names[] = {"debug", "info", "notice", "warning", "error", "critical"};
  auto i = static_cast<unsigned>(s);
  return i < 6 ? names[i] : std::string_view{"unknown"};
}

constexpr std::string_view to_string(metric_type t) noexcept {
  constexpr std::string_view names[] = {"none", "counter", "gauge", "histogram"};
  auto i = static_cast<unsigned>(t);
  return i < 4 ? names[i] : std::string_view{"unknown"};
}

constexpr std::optional<record_kind> parse_record_kind(std::string_view s) noexcept {
  for (auto k : all_record_kinds)
    if (to_string(k) == s) return k;
  return std::nullopt;
}

constexpr std::optional<severity> parse_severity(std::string_view s) noexcept {
  for (unsigned i = 0; i < 6; ++i)
    if (to_string(static_cast<severity>(i)) == s) return static_cast<severity>(i);
  return std::nullopt;
}

constexpr std::optional<metric_type> parse_metric_type(std::string_view s) noexcept {
  for (unsigned i = 0; i < 4; ++i)
    if (to_string(static_cast<metric_type>(i)) == s) return static_cast<metric_type>(i);
  return std::nullopt;
}

//! Kind tags: the compile-time names of record kinds, used in policies such as kinds<...>.
namespace kind {
template <record_kind K>
struct tag {
  static constexpr record_kind value = K;
};
using state = tag<record_kind::state>;
using metric = tag<record_kind::metric>;
using notification = tag<record_kind::notification>;
using insight = tag<record_kind::insight>;
using record = tag<record_kind::record>;
using snapshot = tag<record_kind::snapshot>;
}  // namespace kind

}  // namespace introspect::inline v1
