#pragma once
//! Cadence policies: when sources are collected and buffered records reach the sink.
#include <cstdint>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::cadence {

struct off {
  using category = tag::cadence;
  static constexpr std::int64_t period_ns = 0;
};
struct on_demand {
  using category = tag::cadence;
  static constexpr std::int64_t period_ns = 0;
};
template <duration_arg Period>
struct periodic {
  using category = tag::cadence;
  static_assert(Period.ns > 0, "cadence::periodic<D> needs a positive period");
  static constexpr std::int64_t period_ns = Period.ns;
};
struct continuous {
  using category = tag::cadence;
  static constexpr std::int64_t period_ns = 1'000'000'000;  // state tables and sources each 1 s
};

}  // namespace introspect::inline v1::cadence
