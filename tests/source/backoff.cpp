#include "introspect/source/backoff.hpp"

#include <catch2/catch.hpp>

namespace s = introspect::source;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles per failure up to its cap and resets on success", "[source][backoff]") {
  s::backoff b(1s, 5s);
  const auto t0 = s::backoff::clock::now();
  CHECK(b.ready(t0));
  b.failed(t0);
  CHECK(b.failures() == 1);
  CHECK(b.next_attempt() == t0 + 1s);
  CHECK_FALSE(b.ready(t0 + 999ms));
  CHECK(b.ready(t0 + 1s));
  b.failed(t0 + 1s);
  CHECK(b.delay() == 2s);
  b.failed(t0 + 3s);
  CHECK(b.delay() == 4s);
  b.failed(t0 + 7s);
  CHECK(b.delay() == 5s);  // capped
  b.failed(t0 + 12s);
  CHECK(b.delay() == 5s);
  CHECK(b.next_attempt() == t0 + 17s);
  b.succeeded();
  CHECK(b.failures() == 0);
  CHECK(b.ready(t0));
  b.failed(t0);
  CHECK(b.delay() == 1s);
}
