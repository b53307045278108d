#include <catch2/catch.hpp>

#include <cmath>

#include <introspect/query/agg/aggregate.hpp>

using namespace introspect;
using namespace introspect::query::expr;
using namespace introspect::query::agg;

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

TEST_CASE("counters: rate and increase from successive samples, per series, resets counted",
          "[query][agg]") {
  auto c = [](std::int64_t ts, std::string inst, std::int64_t v) {
    record r = m(ts, "req", v);
    r.mtype = metric_type::counter;
    r.instance = std::move(inst);
    return r;
  };
  // Two instances, added out of order: a at 10/s (a reset at 30 s), b at 1/s.
  std::vector<record> rs{c(30 * s, "a", 50),  c(0, "a", 0),        c(10 * s, "a", 100),
                         c(20 * s, "a", 200), c(40 * s, "a", 150), c(0, "b", 1000),
                         c(40 * s, "b", 1040)};
  CHECK(one(agg_fn::increase, rs) == 200 + 50 + 100 + 40);
  CHECK(one(agg_fn::rate, rs) == Approx(350.0 / 40 + 40.0 / 40));
  agg_spec spec;
  spec.fn = agg_fn::rate;
  spec.every_ns = 20 * s;
  aggregator a(spec);
  for (const auto& r : rs) a.add(r);
  const auto rows = a.rows();
  REQUIRE(rows.size() == 3);  // buckets 0, 20, 40 s (a pair counts where its later sample is)
  CHECK(rows[0].value == Approx(10.0));        // a: 0 -> 100 over 10 s
  CHECK(rows[1].value == Approx(150.0 / 20));  // a: 100 -> 200, reset to 50: 150 over 20 s
  CHECK(rows[2].value == Approx(10.0 + 1.0));  // a: 50 -> 150 in 10 s; b: 40 over 40 s
}

TEST_CASE("histograms: interval mean and percentiles from bucket differences", "[query][agg]") {
  // Snapshots of one histogram: 100 observations of 10, then 100 more of 1000.
  metrics::histogram_snapshot h;
  auto snap = [&](std::int64_t ts) {
    std::string buckets;
    metrics::encode_bucket_text(h, buckets);
    record r = m(ts, "lat", static_cast<std::int64_t>(h.count));
    r.mtype = metric_type::histogram;
    r.fields = {
        {"count", static_cast<std::int64_t>(h.count)}, {"sum", h.sum}, {"buckets", buckets}};
    return r;
  };
  auto observe = [&](std::int64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      ++h.buckets[metrics::detail::bucket_index(static_cast<std::uint64_t>(v))];
      ++h.count;
      h.sum += v;
    }
  };
  std::vector<record> rs;
  rs.push_back(snap(0));
  observe(10, 100);
  rs.push_back(snap(10 * s));
  observe(1000, 100);
  rs.push_back(snap(20 * s));
  agg_spec spec;
  spec.fn = agg_fn::p99;
  spec.every_ns = 10 * s;
  aggregator a(spec);
  for (const auto& r : rs) a.add(r);
  const auto rows = a.rows();
  REQUIRE(rows.size() == 3);
  CHECK(std::isnan(rows[0].value));  // the first snapshot has no interval before it
  CHECK(rows[1].value == 10);
  CHECK(rows[2].value == Approx(1000).epsilon(0.035));  // the bucket's midpoint
  CHECK(one(agg_fn::avg, rs) == Approx(505.0));
  CHECK(one(agg_fn::increase, rs) == 200);
  std::vector<metrics::bucket_count_entry> back;
  std::string text;
  metrics::encode_bucket_text(h, text);
  REQUIRE(metrics::decode_bucket_text(text, back));
  CHECK(back.size() == 2);
  CHECK_FALSE(metrics::decode_bucket_text("ll5 1:2", back));
  CHECK_FALSE(metrics::decode_bucket_text("ll4 9:1 3:1", back));  // not ascending
}
