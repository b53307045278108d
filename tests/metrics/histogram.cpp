#include "introspect/metrics/histogram.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace m = introspect::metrics;
namespace d = introspect::metrics::detail;

TEST_CASE("log-linear buckets partition the u64 range within 3.2 percent", "[metrics][histogram]") {
  for (unsigned i = 1; i < d::bucket_count; ++i) {
    CHECK(d::bucket_lower(i) == d::bucket_upper(i - 1) + 1);  // contiguous, no gap, no overlap
  }
  std::mt19937_64 rng(7);
  for (int k = 0; k < 100000; ++k) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const unsigned i = d::bucket_index(v);
    REQUIRE(i < d::bucket_count);
    REQUIRE(d::bucket_lower(i) <= v);
    REQUIRE(v <= d::bucket_upper(i));
    if (v > 0) {
      const double err = std::abs(static_cast<double>(d::bucket_mid(i)) - static_cast<double>(v)) /
                         static_cast<double>(v);
      REQUIRE(err <= 1.0 / 32 + 1e-12);
    }
  }
}

TEST_CASE("empty histogram", "[metrics][histogram]") {
  m::histogram h;
  const auto s = h.snapshot();
  CHECK(s.empty());
  CHECK(s.count == 0);
  CHECK(s.quantile(0.5) == 0);
  CHECK(s.mean() == 0.0);
}

TEST_CASE("small values are exact with count sum min and max", "[metrics][histogram]") {
  m::histogram h;
  for (int v = 1; v <= 10; ++v) h.observe(v);
  const auto s = h.snapshot();
  CHECK(s.count == 10);
  CHECK(s.sum == 55);
  CHECK(s.min == 1);
  CHECK(s.max == 10);
  CHECK(s.quantile(0.5) == 5);
  CHECK(s.quantile(0.9) == 9);
  CHECK(s.quantile(1.0) == 10);
  CHECK(s.quantile(0.0) == 1);
  CHECK(s.mean() == Approx(5.5));
}

TEST_CASE("quantiles are within bucket error on a wide distribution", "[metrics][histogram]") {
  m::histogram h;
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(8.0, 2.0);
  std::vector<std::int64_t> values;
  for (int k = 0; k < 200000; ++k) {
    const auto v = static_cast<std::int64_t>(dist(rng)) + 1;
    values.push_back(v);
    h.observe(v);
  }
  std::sort(values.begin(), values.end());
  const auto s = h.snapshot();
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(s.quantile(q));
    INFO("q=" << q << " exact=" << exact << " got=" << got);
    CHECK(std::abs(got - exact) <= exact / 32 + 1);
  }
}

TEST_CASE("zero and negatives and extremes are handled", "[metrics][histogram]") {
  m::histogram h;
  h.observe(0);
  h.observe(-5);
  h.observe(std::numeric_limits<std::int64_t>::max());
  const auto s = h.snapshot();
  CHECK(s.count == 3);
  CHECK(s.min == -5);
  CHECK(s.max == std::numeric_limits<std::int64_t>::max());
  CHECK(s.buckets[0] == 2);      // 0 and the clamped negative
  CHECK(s.quantile(0.0) == -5);  // q = 0 is the minimum
  CHECK(s.quantile(0.01) == 0);  // negatives share bucket 0
  CHECK(s.quantile(0.5) == 0);
  CHECK(s.quantile(1.0) == std::numeric_limits<std::int64_t>::max());

  m::histogram neg;
  neg.observe(-3);
  neg.observe(-7);
  const auto n = neg.snapshot();
  CHECK(n.sum == -10);
  CHECK(n.quantile(0.5) >= -7);
  CHECK(n.quantile(0.5) <= -3);
}

TEST_CASE("snapshots merge", "[metrics][histogram]") {
  m::histogram a, b;
  for (int v = 1; v <= 100; ++v) a.observe(v);
  for (int v = 101; v <= 200; ++v) b.observe(v);
  auto s = a.snapshot();
  s.merge(b.snapshot());
  CHECK(s.count == 200);
  CHECK(s.sum == 20100);
  CHECK(s.min == 1);
  CHECK(s.max == 200);
  CHECK(std::abs(s.quantile(0.5) - 100) <= 100 / 32 + 1);
  m::histogram_snapshot empty;
  s.merge(empty);
  CHECK(s.count == 200);
  CHECK(s.min == 1);
}
