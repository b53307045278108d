#pragma once
//! kinds<...>: which record kinds a type records.
#include <type_traits>

#include <introspect/core/kind.hpp>
#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1 {

namespace detail {
template <class K>
inline constexpr bool is_kind_tag = false;
template <record_kind K>
inline constexpr bool is_kind_tag<kind::tag<K>> = true;

// A kind removed for every type of the build by -DINTROSPECT_DISABLE_KIND_<KIND>=1 (the CMake
// option INTROSPECT_DISABLE_KINDS sets these).
template <record_kind K>
constexpr bool kind_disabled_by_build() noexcept {
#ifdef INTROSPECT_DISABLE_KIND_STATE
  if (K == record_kind::state) return true;
#endif
#ifdef INTROSPECT_DISABLE_KIND_METRIC
  if (K == record_kind::metric) return true;
#endif
#ifdef INTROSPECT_DISABLE_KIND_NOTIFICATION
  if (K == record_kind::notification) return true;
#endif
#ifdef INTROSPECT_DISABLE_KIND_INSIGHT
  if (K == record_kind::insight) return true;
#endif
#ifdef INTROSPECT_DISABLE_KIND_RECORD
  if (K == record_kind::record) return true;
#endif
  return false;
}
}  // namespace detail

template <class... Kinds>
struct kinds {
  using category = tag::kinds;
  static_assert((detail::is_kind_tag<Kinds> && ...),
                "kinds<...> takes kind tags only: kind::state, kind::metric, kind::notification, "
                "kind::insight, kind::record, kind::snapshot");
  template <class K>
  static constexpr bool contains = ((K::value == Kinds::value) || ...);
  static constexpr bool has(record_kind k) noexcept { return ((k == Kinds::value) || ...); }
};

}  // namespace introspect::inline v1
