#pragma once
//! Durations of the rules file ("250ms", "30s", "5m", "1h30m", "7d") and their human spelling.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace introspect::inline v1::insight {

//! A rule parameter that is a length of time, in nanoseconds.
struct duration {
  std::int64_t ns = 0;
  friend constexpr bool operator==(duration, duration) = default;
};

namespace detail {
inline constexpr std::int64_t ns_per_unit(std::string_view u) noexcept {
  if (u == "ns") return 1;
  if (u == "us") return 1'000;
  if (u == "ms") return 1'000'000;
  if (u == "s") return 1'000'000'000;
  if (u == "m") return 60'000'000'000;
  if (u == "h") return 3'600'000'000'000;
  if (u == "d") return 86'400'000'000'000;
  return 0;
}
// 2.5 -> "2.5", 3.02 -> "3", 12.4 -> "12": one decimal only where it carries information.
inline std::string one_decimal(double x) {
  if (x >= 10) return fmt::format("{}", std::llround(x));
  auto s = fmt::format("{:.1f}", x);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}
}  // namespace detail

//! Parses a sequence of <number><unit> terms (units ns us ms s m h d; decimals allowed).
inline std::optional<std::int64_t> parse_duration(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t num_start = i;
    bool dot = false;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && !dot))) {
      if (s[i] == '.') dot = true;
      ++i;
    }
    if (i == num_start || (i - num_start == 1 && dot)) return std::nullopt;
    double number = 0, scale = 0;
    for (std::size_t k = num_start; k < i; ++k) {
      if (s[k] == '.') {
        scale = 1;
        continue;
      }
      if (scale > 0) {
        scale /= 10;
        number += (s[k] - '0') * scale;
      } else {
        number = number * 10 + (s[k] - '0');
      }
    }
    const std::size_t unit_start = i;
    while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
    const auto unit = detail::ns_per_unit(s.substr(unit_start, i - unit_start));
    if (unit == 0) return std::nullopt;
    total += number * static_cast<double>(unit);
  }
  if (!(total < 9.2e18)) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(total));
}

//! The shortest exact spelling in the rules-file syntax ("90s" -> "1m30s", 0 -> "0s").
inline std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out.push_back('-');
    ns = -ns;
  }
  constexpr std::pair<std::int64_t, const char*> units[] = {{86'400'000'000'000, "d"},
                                                            {3'600'000'000'000, "h"},
                                                            {60'000'000'000, "m"},
                                                            {1'000'000'000, "s"},
                                                            {1'000'000, "ms"},
                                                            {1'000, "us"},
                                                            {1, "ns"}};
  for (const auto& [per, name] : units) {
    if (ns >= per) {
      fmt::format_to(std::back_inserter(out), "{}{}", ns / per, name);
      ns %= per;
    }
  }
  return out;
}

//! A rounded duration for messages: "45 s", "12 min", "3 h", "2.5 d".
inline std::string human_duration(std::int64_t ns) {
  const double s = static_cast<double>(ns < 0 ? -ns : ns) / 1e9;
  const char* sign = ns < 0 ? "-" : "";
  if (s < 1) return fmt::format("{}{} ms", sign, std::llround(s * 1e3));
  if (s < 90) return fmt::format("{}{} s", sign, std::llround(s));
  if (s < 90 * 60) return fmt::format("{}{} min", sign, std::llround(s / 60));
  if (s < 36 * 3600) {
    const double h = s / 3600;
    return fmt::format("{}{} h", sign, detail::one_decimal(h));
  }
  return fmt::format("{}{} d", sign, detail::one_decimal(s / 86400));
}

}  // namespace introspect::inline v1::insight
