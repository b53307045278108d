// `--where` expressions (query/expr/where.hpp): any text either compiles or throws where_error
// (nothing else, and no crash, however deep or long); a compiled expression evaluates on any
// record, and `not (E)` matches exactly the records E does not.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <introspect/query/expr/where.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;

namespace {

std::vector<ix::record> sample_records() {
  std::vector<ix::record> out;
  const std::int64_t times[] = {0, 1'767'225'600'000'000'000, -1,
                                std::numeric_limits<std::int64_t>::max(),
                                std::numeric_limits<std::int64_t>::min()};
  const ix::value values[] = {std::monostate{},
                              std::int64_t{42},
                              std::numeric_limits<std::int64_t>::min(),
                              1e300,
                              -0.0,
                              std::numeric_limits<double>::quiet_NaN(),
                              true,
                              std::string{"sdb"},
                              std::string{"1e30"}};
  std::size_t i = 0;
  for (const auto& v : values) {
    ix::record r;
    r.ts_ns = times[i % std::size(times)];
    r.kind = ix::all_record_kinds[i % std::size(ix::all_record_kinds)];
    r.sev = static_cast<ix::severity>(i % 6);
    r.instance = "node-1";
    r.source = "fuzz";
    r.name = "segmentstore.cache.bytes";
    r.val = v;
    r.fields.push_back({"disk", std::string{"sdb"}});
    r.fields.push_back({"n", values[(i + 1) % std::size(values)]});
    out.push_back(std::move(r));
    ++i;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto records = sample_records();
  const auto text = introspect_fuzz::as_text(data, size);
  const std::int64_t now = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  ix::query::expr::where_expr e;
  try {
    e = ix::query::expr::where_expr::parse(text, now);
  } catch (const ix::query::expr::where_error& err) {
    INTROSPECT_FUZZ_CHECK(err.what()[0] != '\0');
    return 0;
  }
  std::vector<bool> matched;
  for (const auto& r : records) matched.push_back(e.matches(r));

  // An empty expression matches everything; `not ()` is not an expression.
  if (text.find_first_not_of(" \t\n") == std::string_view::npos) return 0;
  ix::query::expr::where_expr negated;
  try {
    negated = ix::query::expr::where_expr::parse("not (" + std::string(text) + ")", now);
  } catch (const ix::query::expr::where_error&) {
    return 0;  // one level deeper than a depth limit allows
  }
  for (std::size_t i = 0; i < records.size(); ++i)
    INTROSPECT_FUZZ_CHECK(negated.matches(records[i]) == !matched[i]);
  return 0;
}
