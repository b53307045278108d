#pragma once
//! Mapping policies: which stream each kind goes to, and each stream's retention.
#include <introspect/core/kind.hpp>
#include <introspect/fwd/policies.hpp>
#include <introspect/policy/retention.hpp>

namespace introspect::inline v1::mapping {

//! Every kind in the stream "all", with the given keep_for/keep_bytes/keep_count limits.
template <class... Limits>
struct single_stream_with {
  using category = tag::mapping;
  static constexpr bool per_kind = false;
  static constexpr retention_limits limits = retain<kind::state, Limits...>::limits;
  static constexpr retention_limits retention(record_kind) noexcept { return limits; }
};

//! One stream per kind, named after the kind, each with its own retain<Kind, ...> limits.
template <class... Retain>
struct stream_per_kind {
  using category = tag::mapping;
  static constexpr bool per_kind = true;
  static constexpr retention_limits retention([[maybe_unused]] record_kind k) noexcept {
    retention_limits r{};
    ((Retain::kind::value == k ? (r = Retain::limits, 0) : 0), ...);
    return r;
  }
};

}  // namespace introspect::inline v1::mapping
