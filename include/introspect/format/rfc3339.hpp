#pragma once
//! RFC 3339 UTC timestamps with nanoseconds, written and parsed without locale or tz files.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace introspect::inline v1 {
namespace detail {

// Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m, d;
};

constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

inline void put_digits(char* p, std::uint64_t v, int n) noexcept {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace detail

//! Length of a formatted timestamp: "2026-01-01T00:00:00.000000000Z".
inline constexpr std::size_t rfc3339_length = 30;

//! Writes `ns` since the epoch as RFC 3339 UTC with 9 fractional digits into p[0..30).
inline void format_rfc3339(std::int64_t ns, char* p) noexcept {
  std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const auto c = detail::civil_from_days(days);
  const auto y = static_cast<std::uint64_t>(c.y < 0 ? 0 : (c.y > 9999 ? 9999 : c.y));
  detail::put_digits(p, y, 4);
  p[4] = '-';
  detail::put_digits(p + 5, c.m, 2);
  p[7] = '-';
  detail::put_digits(p + 8, c.d, 2);
  p[10] = 'T';
  detail::put_digits(p + 11, static_cast<std::uint64_t>(sod / 3600), 2);
  p[13] = ':';
  detail::put_digits(p + 14, static_cast<std::uint64_t>(sod / 60 % 60), 2);
  p[16] = ':';
  detail::put_digits(p + 17, static_cast<std::uint64_t>(sod % 60), 2);
  p[19] = '.';
  detail::put_digits(p + 20, static_cast<std::uint64_t>(frac), 9);
  p[29] = 'Z';
}

inline std::string format_rfc3339(std::int64_t ns) {
  std::string s(rfc3339_length, '\0');
  format_rfc3339(ns, s.data());
  return s;
}

namespace detail {
// The `len` decimal digits at `pos` of `s` (len <= 9), or nullopt if any is missing or no digit.
constexpr std::optional<unsigned> fixed_digits(std::string_view s, std::size_t pos,
                                               std::size_t len) noexcept {
  if (pos + len > s.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return v;
}
}  // namespace detail

//! First and one past the last second (UTC, since the epoch) that RFC 3339 text handles here:
//! 1678-01-01 .. 2261-12-31, inside the int64-nanosecond range (1677-09-21 .. 2262-04-11).
inline constexpr std::int64_t rfc3339_first_second = detail::days_from_civil(1678, 1, 1) * 86400;
inline constexpr std::int64_t rfc3339_end_second = detail::days_from_civil(2262, 1, 1) * 86400;

//! Parses RFC 3339 ("2026-01-01T00:00:00Z", fractional seconds and +hh:mm offsets allowed; a
//! space may replace 'T'; a bare date means midnight UTC). Returns ns since the epoch.
inline std::optional<std::int64_t> parse_rfc3339(std::string_view s) noexcept {
  auto num = [&](std::size_t pos, std::size_t len) { return detail::fixed_digits(s, pos, len); };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-' || *mo < 1 || *mo > 12 || *d < 1 || *d > 31)
    return std::nullopt;
  const bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
  constexpr unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (*d > month_days[*mo - 1] + (*mo == 2 && leap)) return std::nullopt;  // e.g. 2026-02-30
  // int64 nanoseconds span 1677-09-21 .. 2262-04-11: outside that a time cannot be represented.
  if (*y < 1678 || *y > 2261) return std::nullopt;
  std::int64_t secs = detail::days_from_civil(*y, *mo, *d) * 86400;
  if (s.size() == 10) return secs * 1'000'000'000;
  if (s.size() < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return std::nullopt;
  auto h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (!h || !mi || !se || s[13] != ':' || s[16] != ':' || *h > 23 || *mi > 59 || *se > 60)
    return std::nullopt;
  secs += *h * 3600 + *mi * 60 + *se;
  std::int64_t frac = 0;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::int64_t scale = 100'000'000;
    ++i;
    const std::size_t start = i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      frac += (s[i] - '0') * scale;
      scale /= 10;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;  // a zone is required
  if (s[i] == 'Z' || s[i] == 'z') {
    if (i + 1 != s.size()) return std::nullopt;
  } else if (s[i] == '+' || s[i] == '-') {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || i + 6 != s.size() || s[i + 3] != ':' || *oh > 23 || *om > 59)
      return std::nullopt;
    const std::int64_t off = *oh * 3600 + *om * 60;
    secs += s[i] == '+' ? -off : off;
  } else {
    return std::nullopt;
  }
  // The year is checked on the UTC instant too: a leap second or a zone offset can move a
  // 2261-12-31 or 1678-01-01 local time into a year that format_rfc3339 cannot print back.
  if (secs < rfc3339_first_second || secs >= rfc3339_end_second) return std::nullopt;
  return secs * 1'000'000'000 + frac;
}

}  // namespace introspect::inline v1
