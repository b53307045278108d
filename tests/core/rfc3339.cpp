// RFC 3339 timestamps: formatting, parsing, round trips, offsets, leap years, negative times,
// bad inputs rejected.
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include <introspect/format/rfc3339.hpp>

namespace ix = introspect;

namespace {
constexpr std::int64_t s = 1'000'000'000;
constexpr std::int64_t day = 86400 * s;
}  // namespace

static_assert(ix::detail::days_from_civil(1970, 1, 1) == 0);
static_assert(ix::detail::days_from_civil(2000, 3, 1) - ix::detail::days_from_civil(2000, 2, 28) ==
              2);  // 2000 is a leap year (divisible by 400)
static_assert(ix::detail::days_from_civil(1900, 3, 1) - ix::detail::days_from_civil(1900, 2, 28) ==
              1);  // 1900 is not (divisible by 100)
static_assert(ix::rfc3339_length == 30);

TEST_CASE("formats UTC with nine fractional digits", "[format][rfc3339]") {
  CHECK(ix::format_rfc3339(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(ix::format_rfc3339(1) == "1970-01-01T00:00:00.000000001Z");
  CHECK(ix::format_rfc3339(1'767'225'600 * s) == "2026-01-01T00:00:00.000000000Z");
  CHECK(ix::format_rfc3339(1'767'225'600 * s + 123'456'789) == "2026-01-01T00:00:00.123456789Z");
  CHECK(ix::format_rfc3339(1'767'225'599 * s + 999'999'999) == "2025-12-31T23:59:59.999999999Z");
  CHECK(ix::format_rfc3339(951'782'400 * s) == "2000-02-29T00:00:00.000000000Z");
  CHECK(ix::format_rfc3339(4'107'456'000 * s) == "2100-02-28T00:00:00.000000000Z");
  CHECK(ix::format_rfc3339(4'107'456'000 * s + day) == "2100-03-01T00:00:00.000000000Z");
}

TEST_CASE("negative times format before the epoch", "[format][rfc3339]") {
  CHECK(ix::format_rfc3339(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(ix::format_rfc3339(-s) == "1969-12-31T23:59:59.000000000Z");
  CHECK(ix::format_rfc3339(-s - 1) == "1969-12-31T23:59:58.999999999Z");
  CHECK(ix::format_rfc3339(-day) == "1969-12-31T00:00:00.000000000Z");
  CHECK(ix::format_rfc3339(-2'208'988'800 * s) == "1900-01-01T00:00:00.000000000Z");
}

TEST_CASE("parses Z, fractions, offsets, bare dates and a space separator", "[format][rfc3339]") {
  CHECK(ix::parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ix::parse_rfc3339("1970-01-01") == 0);
  CHECK(ix::parse_rfc3339("1970-01-01T00:00:01.5Z") == 1'500'000'000);
  CHECK(ix::parse_rfc3339("1970-01-01T00:00:00.000000001Z") == 1);
  CHECK(ix::parse_rfc3339("1970-01-01t00:00:00z") == 0);
  CHECK(ix::parse_rfc3339("1970-01-01 00:00:00Z") == 0);
  CHECK(ix::parse_rfc3339("2026-01-01T02:00:00+02:00") == 1'767'225'600 * s);
  CHECK(ix::parse_rfc3339("2025-12-31T19:00:00-05:00") == 1'767'225'600 * s);
  CHECK(ix::parse_rfc3339("2026-01-01T05:30:00.25+05:30") == 1'767'225'600 * s + 250'000'000);
  CHECK(ix::parse_rfc3339("2026-01-01T00:00:00-00:00") == 1'767'225'600 * s);
  CHECK(ix::parse_rfc3339("1969-12-31T23:59:59.999999999Z") == -1);
  CHECK(ix::parse_rfc3339("1900-01-01T00:00:00Z") == -2'208'988'800 * s);
}

TEST_CASE("leap-year days: Feb 29 exists exactly in leap years", "[format][rfc3339]") {
  CHECK(ix::parse_rfc3339("2024-02-29T00:00:00Z") ==
        ix::parse_rfc3339("2024-03-01T00:00:00Z").value() - day);
  CHECK(ix::parse_rfc3339("2000-02-29T00:00:00Z").has_value());
  CHECK(ix::parse_rfc3339("2024-12-31T00:00:00Z").value() -
            ix::parse_rfc3339("2024-01-01T00:00:00Z").value() ==
        365 * day);  // day 366 of a leap year
  CHECK(ix::parse_rfc3339("2025-12-31T00:00:00Z").value() -
            ix::parse_rfc3339("2025-01-01T00:00:00Z").value() ==
        364 * day);
}

TEST_CASE("format then parse round-trips from 1900 to 2255, both signs", "[format][rfc3339]") {
  // A stride of 1 day + 1 h + 1 min + 1 s + 1 ns visits every month, day and time component.
  const std::int64_t stride = day + 3661 * s + 1;
  int n = 0;
  for (std::int64_t t = -2'208'988'800 * s; t < 9'000'000'000 * s; t += stride * 97, ++n) {
    const auto text = ix::format_rfc3339(t);
    const auto back = ix::parse_rfc3339(text);
    INFO(text);
    REQUIRE(back.has_value());
    REQUIRE(*back == t);
  }
  CHECK(n > 1000);
}

TEST_CASE("bad inputs are rejected", "[format][rfc3339]") {
  const char* bad[] = {
      "",
      "2026",
      "2026-01",
      "2026-1-01",
      "26-01-01T00:00:00Z",
      "2026/01/01T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-32T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T23:60:00Z",
      "2026-01-01T23:59:61Z",
      "2026-01-01T00:00:00",  // no zone
      "2026-01-01T00:00Z",    // no seconds
      "2026-01-01X00:00:00Z",
      "2026-01-01T00:00:00.Z",  // empty fraction
      "2026-01-01T00:00:00ZZ",
      "2026-01-01T00:00:00+0200",  // offset without colon
      "2026-01-01T00:00:00+02",
      "2026-01-01T00:00:00 +02:00",
      "2026-01-01T0a:00:00Z",
      "2026-01-01T00:00:00Z trailing",
      "yesterday",
  };
  for (const char* b : bad) {
    INFO(b);
    CHECK_FALSE(ix::parse_rfc3339(b).has_value());
  }
}

TEST_CASE("days that do not exist in their month are rejected", "[format][rfc3339]") {
  const char* bad[] = {"2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-02-30T00:00:00Z",
                       "2026-04-31T00:00:00Z", "2026-06-31",           "2026-11-31T12:00:00Z"};
  for (const char* b : bad) {
    INFO(b);
    CHECK_FALSE(ix::parse_rfc3339(b).has_value());
  }
}

TEST_CASE("out-of-range zone offsets are rejected", "[format][rfc3339]") {
  CHECK(ix::parse_rfc3339("2026-01-01T00:00:00+23:59").has_value());
  CHECK_FALSE(ix::parse_rfc3339("2026-01-01T00:00:00+24:00").has_value());
  CHECK_FALSE(ix::parse_rfc3339("2026-01-01T00:00:00+99:99").has_value());
  CHECK_FALSE(ix::parse_rfc3339("2026-01-01T00:00:00-05:60").has_value());
}
