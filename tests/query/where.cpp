#include <catch2/catch.hpp>

#include <introspect/query/expr/filter.hpp>
#include <introspect/query/expr/where.hpp>

using namespace introspect;
using namespace introspect::query::expr;

namespace {
record make(record_kind k, std::string name, value v, std::vector<field> fields = {},
            std::int64_t ts = 1'767'225'600'000'000'000LL) {
  record r;
  r.ts_ns = ts;
  r.kind = k;
  r.instance = "n1";
  r.source = "product";
  r.name = std::move(name);
  r.val = std::move(v);
  r.fields = std::move(fields);
  return r;
}
bool where(std::string_view e, const record& r) { return where_expr::parse(e).matches(r); }
}  // namespace

TEST_CASE("where expressions: compares value with numbers and strings", "[query][where]") {
  const auto m = make(record_kind::metric, "cache.bytes", std::int64_t{1234});
  CHECK(where("value > 1000", m));
  CHECK(where("value >= 1234", m));
  CHECK_FALSE(where("value < 1234", m));
  CHECK(where("value == 1234", m));
  CHECK(where("value = 1234", m));
  CHECK(where("value != 5", m));
  CHECK(where("value <> 5", m));
  CHECK(where("1000 < value", m));  // a literal on the left is mirrored
  CHECK(where("value > 1.2e3 and value < 2e3", m));
  CHECK(where("value == '1234'", m));  // a string that reads as a number compares as one

  const auto s = make(record_kind::state, "container/3", std::string{"RECOVERING"});
  CHECK(where("value == 'RECOVERING'", s));
  CHECK(where("value == \"RECOVERING\"", s));
  CHECK(where("value != 'UP'", s));
  CHECK(where("value ~ 'RECOV*'", s));
  CHECK(where("value !~ 'UP*'", s));
  CHECK_FALSE(where("value > 5", s));  // a string that is not a number is not greater
  CHECK(where("name ~ 'container/*' and kind == state", s));
}

TEST_CASE("where expressions: over fields, and/or/not and parentheses", "[query][where]") {
  const auto n = make(record_kind::notification, "disk nearly full", {},
                      {{"disk", std::string{"sdb"}}, {"pct", std::int64_t{91}}});
  CHECK(where("fields.disk == 'sdb'", n));
  CHECK(where("fields.pct > 90 and fields.disk == 'sdb'", n));
  CHECK_FALSE(where("fields.pct > 95 and fields.disk == 'sdb'", n));
  CHECK(where("fields.pct > 95 or fields.disk == 'sdb'", n));
  CHECK(where("not fields.pct > 95", n));
  CHECK(where("!(fields.pct > 95) && fields.disk", n));
  CHECK(where("(fields.pct > 95 or fields.pct < 92) and not fields.missing", n));
  CHECK_FALSE(where("fields.missing == 1", n));  // a missing part compares false
  CHECK_FALSE(where("fields.missing != 1", n));
  CHECK(where("not fields.missing == 1", n));
  CHECK(where("NOT fields.missing AND fields.disk", n));
}

TEST_CASE("where expressions: knows severity ranks and times", "[query][where]") {
  auto n = make(record_kind::notification, "x", {});
  n.sev = severity::warning;
  CHECK(where("severity >= warning", n));
  CHECK(where("severity == 'warning'", n));
  CHECK_FALSE(where("severity > warning", n));
  CHECK(where("severity < error", n));
  CHECK(where("ts >= '2026-01-01T00:00:00Z'", n));
  CHECK_FALSE(where("ts > '2026-01-01T00:00:00Z'", n));
  CHECK(where("ts < '2026-01-01T00:00:00.000000001Z'", n));
}

TEST_CASE("where expressions: rejects unknown fields and bad syntax with a reason",
          "[query][where]") {
  auto msg = [](std::string_view e) {
    try {
      where_expr::parse(e);
    } catch (const where_error& x) {
      return std::string(x.what());
    }
    return std::string{};
  };
  CHECK_THAT(msg("vlaue > 3"), Catch::Contains("unknown field \"vlaue\""));
  CHECK_THAT(msg("value >"), Catch::Contains("expected a value"));
  CHECK_THAT(msg("(value > 3"), Catch::Contains("missing ')'"));
  CHECK_THAT(msg("value > 'abc"), Catch::Contains("unterminated string"));
  CHECK_THAT(msg(""), Catch::Contains("empty"));
  CHECK_THAT(msg("3 > 4"), Catch::Contains("two literals"));
  CHECK_THAT(msg("value > 3 junk"), Catch::Contains("unexpected"));
  CHECK_THAT(msg("severity > loud"), Catch::Contains("unknown severity"));
  CHECK_THAT(msg("ts > 'soon'"), Catch::Contains("bad time"));
  CHECK_THAT(msg("value $ 3"), Catch::Contains("unexpected character"));
}

TEST_CASE("record_filter: kinds, tables, names, time range", "[query][filter]") {
  record_filter f;
  auto st = make(record_kind::state, "container/3", std::string{"UP"});
  auto meta = make(record_kind::meta, "introspect.file", {});
  auto table = st;
  table.flags = flag_table;
  CHECK(f.matches(st));
  CHECK_FALSE(f.matches(meta));   // meta hidden by default
  CHECK_FALSE(f.matches(table));  // table lines hidden by default
  f.tables = true;
  CHECK(f.matches(table));
  f.only_kinds({record_kind::meta});
  CHECK(f.matches(meta));
  CHECK_FALSE(f.matches(st));
  f.only_kinds({record_kind::state});
  f.names = {"disk*", "container/*"};
  CHECK(f.matches(st));
  f.names = {"disk*"};
  CHECK_FALSE(f.matches(st));
  f.names.clear();
  f.since_ns = st.ts_ns;
  f.until_ns = st.ts_ns + 1;
  CHECK(f.matches(st));
  f.until_ns = st.ts_ns;  // until is exclusive
  CHECK_FALSE(f.matches(st));
  CHECK_FALSE(f.hint().wants(record_kind::metric));
  CHECK(f.hint().wants(record_kind::state));
}
