#pragma once
//! Deployment mode policies.
#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::mode {
struct standalone {
  using category = tag::mode;
};
struct kubernetes {
  using category = tag::mode;
};
}  // namespace introspect::inline v1::mode
