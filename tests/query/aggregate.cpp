#include <catch2/catch.hpp>

#include <cmath>

#include <introspect/query/aggregate.hpp>

using namespace introspect;

namespace {
constexpr std::int64_t s = 1'000'000'000;
record m(std::int64_t ts, std::string name, value v) {
  record r;
  r.ts_ns = ts;
  r.kind = record_kind::metric;
  r.name = std::move(name);
  r.val = std::move(v);
  return r;
}
double one(agg_fn fn, const std::vector<record>& rs) {
  agg_spec spec;
  spec.fn = fn;
  aggregator a(spec);
  for (const auto& r : rs) a.add(r);
  auto rows = a.rows();
  REQUIRE(rows.size() == 1);
  return rows[0].value;
}
}  // namespace

TEST_CASE("aggregate functions over numeric values", "[query][agg]") {
  std::vector<record> rs;
  for (int i = 1; i <= 100; ++i) rs.push_back(m(i * s, "lat", std::int64_t{i}));
  rs.push_back(m(101 * s, "lat", std::string{"n/a"}));  // counted, not summed
  CHECK(one(agg_fn::count, rs) == 101);
  CHECK(one(agg_fn::sum, rs) == 5050);
  CHECK(one(agg_fn::min, rs) == 1);
  CHECK(one(agg_fn::max, rs) == 100);
  CHECK(one(agg_fn::avg, rs) == Approx(50.5));
  CHECK(one(agg_fn::p50, rs) == 50);
  CHECK(one(agg_fn::p90, rs) == 90);
  CHECK(one(agg_fn::p99, rs) == 99);
  // rate: (5050 + 1 for the string record) over the 100 s the records span
  CHECK(one(agg_fn::rate, rs) == Approx(5051.0 / 100.0));
  CHECK(std::isnan(one(agg_fn::avg, {m(0, "x", std::string{"a"})})));
}

TEST_CASE("aggregates group --by a field and bucket --every a duration", "[query][agg]") {
  agg_spec spec;
  spec.fn = agg_fn::avg;
  spec.by = parse_field_ref("name");
  spec.every_ns = 60 * s;
  aggregator a(spec);
  a.add(m(10 * s, "cache.hits", std::int64_t{10}));
  a.add(m(20 * s, "cache.hits", std::int64_t{20}));
  a.add(m(30 * s, "cache.miss", 1.5));
  a.add(m(70 * s, "cache.hits", std::int64_t{7}));
  const auto rows = a.rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].bucket_ns == 0);
  CHECK(rows[0].key == "cache.hits");
  CHECK(rows[0].value == 15);
  CHECK(rows[0].records == 2);
  CHECK(rows[1].key == "cache.miss");
  CHECK(rows[1].value == 1.5);
  CHECK(rows[2].bucket_ns == 60 * s);
  CHECK(rows[2].value == 7);

  agg_spec rate;
  rate.fn = agg_fn::rate;
  rate.every_ns = 10 * s;
  aggregator r(rate);
  for (int i = 0; i < 25; ++i) {
    record n;
    n.ts_ns = i * s;
    n.kind = record_kind::notification;
    r.add(n);  // no value: each counts as 1
  }
  const auto rr = r.rows();
  REQUIRE(rr.size() == 3);
  CHECK(rr[0].value == Approx(1.0));
  CHECK(rr[2].value == Approx(0.5));
  CHECK(parse_agg_fn("p99") == agg_fn::p99);
  CHECK_FALSE(parse_agg_fn("median"));
}
