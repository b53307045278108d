#include <catch2/catch.hpp>

#include <introspect/query/time_arg.hpp>

using namespace introspect;

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
  CHECK_FALSE(parse_time_arg("yesterday", now));
  CHECK_FALSE(parse_time_arg("2026-13-01T00:00:00Z", now));
  CHECK_FALSE(parse_time_arg("2026-01-01T00:00:00", now));  // a zone is required
  // Beyond the years whose nanoseconds fit in 64 bits: rejected, not wrapped around.
  CHECK_FALSE(parse_time_arg("2826-01-01T00:00:00Z", now));
  CHECK_FALSE(parse_time_arg("1600-01-01", now));
  CHECK(parse_time_arg("2261-12-31T23:59:59Z", now));
}
