#include <catch2/catch.hpp>

#include <limits>

#include <introspect/query/time_arg.hpp>

using namespace introspect;
using namespace introspect::query;

TEST_CASE("durations: units, sums and fractions", "[query][time]") {
  CHECK(parse_duration("15m") == 15 * 60'000'000'000LL);
  CHECK(parse_duration("2h") == 2 * 3600'000'000'000LL);
  CHECK(parse_duration("7d") == 7 * 86400'000'000'000LL);
  CHECK(parse_duration("1h30m") == 90 * 60'000'000'000LL);
  CHECK(parse_duration("1.5s") == 1'500'000'000LL);
  CHECK(parse_duration("250ms") == 250'000'000LL);
  CHECK(parse_duration("10us") == 10'000LL);
  CHECK(parse_duration("1w") == 7 * 86400'000'000'000LL);
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("15"));
  CHECK_FALSE(parse_duration("3x"));
  CHECK_FALSE(parse_duration("m"));
  CHECK_FALSE(parse_duration("0s"));
  CHECK_FALSE(parse_duration("-5m"));
  CHECK_FALSE(parse_duration("99999999999999d"));
}

TEST_CASE("time arguments: RFC 3339, now and relative", "[query][time]") {
  const std::int64_t now = 1'767'225'600'000'000'000LL;  // 2026-01-01T00:00:00Z
  CHECK(parse_time_arg("2026-01-01T00:00:00Z", 0) == now);
  CHECK(parse_time_arg("2026-01-01T01:00:00+01:00", 0) == now);
  CHECK(parse_time_arg("2026-01-01T00:00:00.5Z", 0) == now + 500'000'000);
  CHECK(parse_time_arg("now", now) == now);
  CHECK(parse_time_arg("15m", now) == now - 15 * 60'000'000'000LL);
  CHECK(parse_time_arg("2h", now) == now - 2 * 3600'000'000'000LL);
  CHECK(parse_time_arg("yesterday", now) == now - 86400'000'000'000LL);  // UTC here
  CHECK_FALSE(parse_time_arg("2026-13-01T00:00:00Z", now));
  CHECK(parse_time_arg("2026-01-01T00:00:00", now) == now);  // zone-less: UTC in this overload
  // Beyond the years whose nanoseconds fit in 64 bits: rejected, not wrapped around.
  CHECK_FALSE(parse_time_arg("2826-01-01T00:00:00Z", now));
  CHECK_FALSE(parse_time_arg("1600-01-01", now));
  CHECK(parse_time_arg("2261-12-31T23:59:59Z", now));
}

TEST_CASE("time arguments as journalctl takes them, against a reference", "[query][time]") {
  const std::int64_t day = 86400'000'000'000LL;
  const std::int64_t ref = 1'767'225'600'000'000'000LL + day + 3600'000'000'000LL;  // 01-02 01:00Z
  const time_context utc{ref, true};
  CHECK(parse_time_arg("@1767225600", utc) == 1'767'225'600'000'000'000LL);
  CHECK(parse_time_arg("@1767225600.25", utc) == 1'767'225'600'250'000'000LL);
  CHECK_FALSE(parse_time_arg("@", utc));
  CHECK_FALSE(parse_time_arg("@1e30", utc));
  CHECK_FALSE(parse_time_arg("@99999999999999999999", utc));
  CHECK(parse_time_arg("-15m", utc) == ref - 15 * 60'000'000'000LL);
  CHECK(parse_time_arg("15m", utc) == ref - 15 * 60'000'000'000LL);
  CHECK(parse_time_arg("today", utc) == 1'767'225'600'000'000'000LL + day);
  CHECK(parse_time_arg("yesterday", utc) == 1'767'225'600'000'000'000LL);
  CHECK(parse_time_arg("2026-01-02 01:00", utc) == ref);
  CHECK(parse_time_arg("2026-01-02T01:00:00.5", utc) == ref + 500'000'000);
  CHECK_FALSE(parse_time_arg("2026-01-02 25:00", utc));
  CHECK_FALSE(parse_time_arg("2026-02-30 01:00", utc));
  // A relative time before the earliest representable instant is rejected, not wrapped.
  CHECK_FALSE(
      parse_time_arg("1000w", time_context{std::numeric_limits<std::int64_t>::min() + 1, true}));
}

TEST_CASE("every time the parser accepts, the formatter writes back the same", "[query][time]") {
  // The edges of the int64 range of nanoseconds (1677-09-21 .. 2262-04-11): parse rejects
  // what format_rfc3339 could not write back.
  for (std::string_view s : {"1678-01-01T00:00:00Z", "2261-12-31T23:59:59.999999999Z",
                             "1970-01-01T00:00:00Z", "2026-06-30T12:34:56.000000001Z"}) {
    const auto t = parse_time_arg(s, 0);
    REQUIRE(t);
    CHECK(parse_rfc3339(format_rfc3339(*t)) == t);
  }
  CHECK_FALSE(parse_time_arg("1677-12-31T23:59:59Z", 0));
  CHECK_FALSE(parse_time_arg("2262-01-01T00:00:00Z", 0));
}
