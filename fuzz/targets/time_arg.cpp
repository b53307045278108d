// Time arguments (query/time_arg.hpp, format/rfc3339.hpp): `--since`/`--until` values, the
// `ts` of JSON lines and `ts` literals of --where. Any text parses or is refused without
// undefined behaviour; an accepted RFC 3339 time prints and parses back to itself; a duration
// is positive; the printer's output for any representable instant parses back to it.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <introspect/format/rfc3339.hpp>
#include <introspect/query/time_arg.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = introspect_fuzz::as_text(data, size);
  const std::int64_t now = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z

  if (const auto t = ix::parse_rfc3339(text)) {
    const auto printed = ix::format_rfc3339(*t);
    const auto again = ix::parse_rfc3339(printed);
    if (!again || *again != *t)
      std::fprintf(stderr, "'%.*s' -> %lld -> '%s' does not read back\n",
                   static_cast<int>(text.size()), text.data(), static_cast<long long>(*t),
                   printed.c_str());
    INTROSPECT_FUZZ_CHECK(again && *again == *t);
  }
  if (const auto t = ix::query::parse_rfc3339_checked(text)) {
    const auto plain = ix::parse_rfc3339(text);
    INTROSPECT_FUZZ_CHECK(plain && *plain == *t);
  }
  if (const auto d = ix::query::parse_duration(text)) INTROSPECT_FUZZ_CHECK(*d > 0);
  (void)ix::query::parse_time_arg(text, now);
  // The CLI's forms (`today`, `@EPOCH`, zone-less local times, `-15m`) against references at
  // the edges of the range: a store's last record may carry any time.
  for (const std::int64_t ref : {now, std::numeric_limits<std::int64_t>::min(),
                                 std::numeric_limits<std::int64_t>::max(), std::int64_t{0}})
    for (const bool utc : {true, false})
      (void)ix::query::parse_time_arg(text, ix::query::time_context{ref, utc});

  // The printer, for any instant: its text parses back exactly, or is refused as out of range.
  if (size >= 8) {
    std::int64_t ns;
    std::memcpy(&ns, data, 8);
    const auto printed = ix::format_rfc3339(ns);
    if (const auto back = ix::parse_rfc3339(printed)) INTROSPECT_FUZZ_CHECK(*back == ns);
  }
  return 0;
}
