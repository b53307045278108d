#pragma once
//! Times and durations on the command line: RFC 3339 (`2026-01-01T00:00:00Z`), relative times
//! (`15m`, `2h`, `7d`: that long before now) and durations (`500ms`, `1m`, `1h30m`).
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1 {

//! parse_rfc3339 limited to the years whose nanoseconds fit in 64 bits (1678-2261): beyond
//! them parse_rfc3339's arithmetic overflows, so such a time is rejected, not wrapped.
inline std::optional<std::int64_t> parse_rfc3339_checked(std::string_view s) noexcept {
  if (s.size() < 4) return std::nullopt;
  int year = 0;
  for (int i = 0; i < 4; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    year = year * 10 + (s[i] - '0');
  }
  if (year < 1678 || year > 2261) return std::nullopt;
  return parse_rfc3339(s);
}

//! Parses a duration: one or more `<number><unit>` with units ns, us, ms, s, m, h, d, w
//! (`1h30m`, `1.5s`); nanoseconds, or nullopt if malformed, zero-free or overflowing.
inline std::optional<std::int64_t> parse_duration(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  long double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    long double num = 0;
    const std::size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) num = num * 10 + (s[i] - '0');
    if (i < s.size() && s[i] == '.') {
      long double scale = 0.1L;
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
        num += (s[i] - '0') * scale;
    }
    if (i == start || (i == start + 1 && s[start] == '.')) return std::nullopt;
    const std::size_t ustart = i;
    for (; i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')); ++i) {
    }
    const auto unit = s.substr(ustart, i - ustart);
    long double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us")
      mult = 1e3L;
    else if (unit == "ms")
      mult = 1e6L;
    else if (unit == "s")
      mult = 1e9L;
    else if (unit == "m")
      mult = 60e9L;
    else if (unit == "h")
      mult = 3600e9L;
    else if (unit == "d")
      mult = 86400e9L;
    else if (unit == "w")
      mult = 7 * 86400e9L;
    else
      return std::nullopt;
    total += num * mult;
  }
  if (total < 1 || total > static_cast<long double>(std::numeric_limits<std::int64_t>::max() / 2))
    return std::nullopt;
  return static_cast<std::int64_t>(total);
}

//! Parses a time argument: RFC 3339, `now`, or a duration meaning that long before `now_ns`.
inline std::optional<std::int64_t> parse_time_arg(std::string_view s,
                                                  std::int64_t now_ns) noexcept {
  if (s == "now") return now_ns;
  if (auto t = parse_rfc3339_checked(s)) return t;
  if (auto d = parse_duration(s)) return now_ns - *d;
  return std::nullopt;
}

}  // namespace introspect::inline v1
