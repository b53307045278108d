#pragma once
//! Times and durations on the command line: RFC 3339 (`2026-01-01T00:00:00Z`), zone-less local
//! times, `@EPOCH`, `today`, `yesterday`, relative times (`15m`, `-2h`, `7d`: that long before
//! a reference, the store's last record in the CLI) and durations (`500ms`, `1m`, `1h30m`).
#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <string_view>

#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1::query {

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

//! What a time argument is read against: the reference of relative times (the store's last
//! record, or the wall clock for live use) and the zone of times written without one.
struct time_context {
  std::int64_t ref_ns = 0;  //!< `15m` means 15 minutes before this; `today` is its day
  bool utc = false;         //!< zone-less times and days in UTC instead of the local zone
};

namespace detail {

// Seconds since the epoch of a civil time in UTC or in the local zone (mktime, TZ).
inline std::optional<std::int64_t> civil_seconds(std::int64_t y, unsigned mo, unsigned d,
                                                 unsigned h, unsigned mi, unsigned se,
                                                 bool utc) noexcept {
  if (utc) return introspect::detail::days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  std::tm tm{};
  tm.tm_year = static_cast<int>(y - 1900);
  tm.tm_mon = static_cast<int>(mo) - 1;
  tm.tm_mday = static_cast<int>(d);
  tm.tm_hour = static_cast<int>(h);
  tm.tm_min = static_cast<int>(mi);
  tm.tm_sec = static_cast<int>(se);
  tm.tm_isdst = -1;  // the zone's rule decides, as journalctl does
  const std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1) && !(y == 1969 && mo == 12 && d == 31)) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

// `YYYY-MM-DD`, optionally then ` ` or `T` and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, no zone.
inline std::optional<std::int64_t> parse_zoneless(std::string_view s, bool utc) noexcept {
  auto num = [&](std::size_t pos, std::size_t len) {
    return introspect::detail::fixed_digits(s, pos, len);
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  unsigned h = 0, mi = 0, se = 0;
  std::int64_t frac = 0;
  if (s.size() > 10) {
    if (s[10] != ' ' && s[10] != 'T') return std::nullopt;
    auto hh = num(11, 2), mm = num(14, 2);
    if (!hh || !mm || s[13] != ':') return std::nullopt;
    h = *hh, mi = *mm;
    std::size_t i = 16;
    if (i < s.size()) {
      auto ss = num(17, 2);
      if (s[16] != ':' || !ss) return std::nullopt;
      se = *ss;
      i = 19;
      if (i < s.size() && s[i] == '.') {
        std::int64_t scale = 100'000'000;
        const std::size_t start = ++i;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
          frac += (s[i] - '0') * scale;
        if (i == start) return std::nullopt;
      }
      if (i != s.size()) return std::nullopt;
    }
  } else if (s.size() != 10) {
    return std::nullopt;
  }
  // The same checks as RFC 3339 (days per month, years that fit): let it validate the fields.
  const std::string_view date = s.substr(0, 10);
  if (!parse_rfc3339_checked(date) || h > 23 || mi > 59 || se > 59) return std::nullopt;
  const auto secs = civil_seconds(*y, *mo, *d, h, mi, se, utc);
  if (!secs) return std::nullopt;
  const std::int64_t lim = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (*secs > lim || *secs < -lim) return std::nullopt;
  return *secs * 1'000'000'000 + frac;
}

// Midnight of the day of `ref_ns`, `back` days earlier.
inline std::optional<std::int64_t> day_start(std::int64_t ref_ns, int back, bool utc) noexcept {
  std::int64_t secs = ref_ns / 1'000'000'000;
  if (ref_ns < 0 && ref_ns % 1'000'000'000) --secs;
  // A reference outside 1678..2261 (a crafted store) has no midnight that fits in int64 ns.
  if (secs < rfc3339_first_second + 86400 * 2 || secs >= rfc3339_end_second) return std::nullopt;
  if (utc) {
    std::int64_t days = secs / 86400;
    if (secs < 0 && secs % 86400) --days;
    return (days - back) * 86400 * 1'000'000'000;
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (!localtime_r(&t, &tm)) return std::nullopt;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_mday -= back;
  tm.tm_isdst = -1;
  const std::time_t m = std::mktime(&tm);
  if (m == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(m) * 1'000'000'000;
}

}  // namespace detail

//! Parses a time argument as journalctl would: RFC 3339 with a zone; a time without zone
//! (`2026-01-01 10:00`, `2026-01-01`: local, or UTC with `c.utc`); `@EPOCH` seconds
//! (`@1767225600`, `@1767225600.5`); `now` (the reference); `today`, `yesterday` (midnight of
//! the reference's day); a duration before the reference (`15m` or `-15m`).
inline std::optional<std::int64_t> parse_time_arg(std::string_view s,
                                                  const time_context& c) noexcept {
  if (s == "now") return c.ref_ns;
  if (s == "today") return detail::day_start(c.ref_ns, 0, c.utc);
  if (s == "yesterday") return detail::day_start(c.ref_ns, 1, c.utc);
  if (s.starts_with('@')) {
    // Epoch seconds, a fraction allowed; the range is checked before converting so that no
    // double-to-int64 conversion overflows.
    const auto body = s.substr(1);
    if (body.empty() || body.size() > 40) return std::nullopt;
    std::size_t i = body[0] == '-' ? 1 : 0;
    std::int64_t secs = 0, frac = 0, scale = 100'000'000;
    const std::size_t start = i;
    for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
      if (secs > 9'000'000'000LL) return std::nullopt;  // beyond year 2261
      secs = secs * 10 + (body[i] - '0');
    }
    if (i == start) return std::nullopt;
    if (i < body.size() && body[i] == '.') {
      for (++i; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i, scale /= 10)
        frac += (body[i] - '0') * scale;
    }
    if (i != body.size() || secs > 9'000'000'000LL) return std::nullopt;
    const std::int64_t ns = secs * 1'000'000'000 + frac;
    return body[0] == '-' ? -ns : ns;
  }
  if (auto t = parse_rfc3339_checked(s)) return t;
  if (auto t = detail::parse_zoneless(s, c.utc)) return t;
  const auto d = parse_duration(s.starts_with('-') ? s.substr(1) : s);
  if (d && c.ref_ns >= std::numeric_limits<std::int64_t>::min() + *d) return c.ref_ns - *d;
  return std::nullopt;
}

//! parse_time_arg with `now_ns` as the reference and zone-less times in UTC (--where literals).
inline std::optional<std::int64_t> parse_time_arg(std::string_view s,
                                                  std::int64_t now_ns) noexcept {
  return parse_time_arg(s, time_context{now_ns, true});
}

}  // namespace introspect::inline v1::query
