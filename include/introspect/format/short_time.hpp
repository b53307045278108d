#pragma once
//! The short time a person reads in a terminal table: `2026-01-01 10:00:00.123` in the local
//! zone (or `...Z` in UTC), like journalctl's short-iso; files and pipes get RFC 3339 in full.
#include <cstdint>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1 {

//! `ns` since the epoch as `YYYY-MM-DD HH:MM:SS.mmm`, local (with the zone's abbreviation
//! dropped: the whole table is in one zone) or UTC with a trailing `Z`.
inline std::string format_short_time(std::int64_t ns, bool utc) {
  std::int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) frac += 1'000'000'000, --secs;
  if (utc) {
    auto s = format_rfc3339(ns);  // 2026-01-01T00:00:00.000000000Z
    s[10] = ' ';
    return s.substr(0, 23) + "Z";
  }
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (!localtime_r(&t, &tm)) return format_rfc3339(ns);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 1'000'000);
}

}  // namespace introspect::inline v1
