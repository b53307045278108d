#pragma once
//! Mapping policies: which stream each kind goes to.
#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::mapping {
struct single_stream {
  using category = tag::mapping;
  static constexpr bool per_kind = false;
};
template <class... Retain>
struct stream_per_kind {
  using category = tag::mapping;
  static constexpr bool per_kind = true;
};
}  // namespace introspect::inline v1::mapping
