#include "introspect/metrics/registry.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace m = introspect::metrics;

TEST_CASE("registration by name returns one stable handle", "[metrics][registry]") {
  m::registry reg;
  auto& a = reg.counter("controller.requests");
  auto* first = &a;
  // Many registrations must not move earlier handles (no reallocation).
  // append(), not `"c" + to_string(i)`: GCC 12 -O3 reports a false -Wrestrict on the latter.
  for (int i = 0; i < 1000; ++i) reg.counter(std::string("c").append(std::to_string(i)));
  for (int i = 0; i < 50; ++i) reg.histogram(std::string("h").append(std::to_string(i)));
  CHECK(&reg.counter("controller.requests") == first);
  a.inc(3);
  reg.count("controller.requests");
  CHECK(first->value() == 4);
  CHECK(reg.size() == 1001 + 50);
}

TEST_CASE("types have separate name spaces", "[metrics][registry]") {
  m::registry reg;
  reg.count("x", 2);
  reg.set("x", 7.5);
  reg.observe("x", 10);
  CHECK(reg.counter("x").value() == 2);
  CHECK(reg.gauge("x").value() == 7.5);
  CHECK(reg.histogram("x").snapshot().count == 1);
  CHECK(reg.size() == 3);
}

TEST_CASE("by-name updates reach the same metric as handles", "[metrics][registry]") {
  m::registry reg;
  auto& g = reg.gauge("cache.bytes");
  reg.set("cache.bytes", 100);
  reg.add("cache.bytes", 23);
  CHECK(g.value() == 123.0);
  auto& h = reg.histogram("lat");
  reg.observe("lat", 5);
  h.observe(7);
  CHECK(h.snapshot().count == 2);
}

TEST_CASE("snapshot visits every metric with its type and value", "[metrics][registry]") {
  m::registry reg;
  reg.count("b.counter", 5);
  reg.count("a.counter", 1);
  reg.set("g", -2.5);
  reg.observe("h", 10);
  reg.observe("h", 20);

  std::vector<std::string> order;
  std::map<std::string, double> scalars;
  std::map<std::string, std::uint64_t> hist_counts;
  reg.snapshot([&](std::string_view name, const auto& sample) {
    using S = std::decay_t<decltype(sample)>;
    order.emplace_back(std::string(m::to_string(S::type)) + ":" + std::string(name));
    if constexpr (S::type == m::metric_type::histogram) {
      hist_counts[std::string(name)] = sample.count;
      CHECK(sample.min == 10);
      CHECK(sample.max == 20);
    } else {
      scalars[std::string(name)] = static_cast<double>(sample.value);
    }
  });
  CHECK(order == std::vector<std::string>{"counter:b.counter", "counter:a.counter", "gauge:g",
                                          "histogram:h"});
  CHECK(scalars["b.counter"] == 5);
  CHECK(scalars["a.counter"] == 1);
  CHECK(scalars["g"] == -2.5);
  CHECK(hist_counts["h"] == 2);
}
