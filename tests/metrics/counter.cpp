#include "introspect/metrics/counter.hpp"

#include <catch2/catch.hpp>

#include "introspect/metrics/gauge.hpp"

namespace m = introspect::metrics;

TEST_CASE("counter starts at zero and adds increments", "[metrics][counter]") {
  m::counter c;
  CHECK(c.value() == 0);
  c.inc();
  c.inc(41);
  CHECK(c.value() == 42);
  CHECK(c.sample().value == 42);
  STATIC_REQUIRE(m::counter_sample::type == m::metric_type::counter);
}

TEST_CASE("counter cells are cache-line padded", "[metrics][counter]") {
  STATIC_REQUIRE(sizeof(m::counter) == m::detail::slot_count * m::detail::cache_line);
  STATIC_REQUIRE(alignof(m::counter) == m::detail::cache_line);
}

TEST_CASE("a thread keeps its slot across updates", "[metrics][counter]") {
  const unsigned a = m::detail::thread_slot();
  const unsigned b = m::detail::thread_slot();
  CHECK(a == b);
  CHECK(a < m::detail::slot_count);
}

TEST_CASE("gauge set replaces and add accumulates", "[metrics][gauge]") {
  m::gauge g;
  CHECK(g.value() == 0.0);
  g.set(1234);
  CHECK(g.value() == 1234.0);
  g.set(2.5);
  CHECK(g.value() == 2.5);
  g.add(-1);
  g.add(std::int64_t{10});
  CHECK(g.value() == 11.5);
  g.set(std::int64_t{1} << 52);
  CHECK(g.sample().value == static_cast<double>(std::int64_t{1} << 52));
}
