#pragma once
//! Retention limits and segment rolling, per stream: keep_for<D>, keep_bytes<N>, keep_count<N>,
//! grouped per kind by retain<Kind, Limits...> inside mapping::stream_per_kind<...>.
#include <cstdint>
#include <type_traits>

#include <introspect/core/kind.hpp>
#include <introspect/fwd/policies.hpp>
#include <introspect/policy/kinds.hpp>

namespace introspect::inline v1 {

//! Keep records younger than D (whole sealed segments older than that are removed).
template <duration_arg D>
struct keep_for {
  static_assert(D.ns > 0, "keep_for<D> needs a positive duration");
  static constexpr std::int64_t ns = D.ns;
};
//! Keep at most N bytes of sealed segments.
template <std::uint64_t N>
struct keep_bytes {
  static_assert(N > 0, "keep_bytes<N> needs N > 0");
  static constexpr std::uint64_t bytes = N;
};
//! Keep at most N records.
template <std::uint64_t N>
struct keep_count {
  static_assert(N > 0, "keep_count<N> needs N > 0");
  static constexpr std::uint64_t count = N;
};

namespace detail {
template <class L>
struct limit_traits {
  static constexpr bool valid = false;
};
template <duration_arg D>
struct limit_traits<keep_for<D>> {
  static constexpr bool valid = true;
  static constexpr std::int64_t for_ns = D.ns;
  static constexpr std::uint64_t bytes = 0, count = 0;
};
template <std::uint64_t N>
struct limit_traits<keep_bytes<N>> {
  static constexpr bool valid = true;
  static constexpr std::int64_t for_ns = 0;
  static constexpr std::uint64_t bytes = N, count = 0;
};
template <std::uint64_t N>
struct limit_traits<keep_count<N>> {
  static constexpr bool valid = true;
  static constexpr std::int64_t for_ns = 0;
  static constexpr std::uint64_t bytes = 0, count = N;
};

template <class T, class... U>
constexpr T first_nonzero(T zero, U... v) noexcept {
  T r = zero;
  ((r = r ? r : static_cast<T>(v)), ...);
  return r;
}
}  // namespace detail

//! Retention limits of one stream; 0 means "no limit of that sort".
struct retention_limits {
  std::int64_t keep_for_ns = 0;
  std::uint64_t keep_bytes = 0;
  std::uint64_t keep_count = 0;
};

//! The retention of the stream of kind K.
template <class K, class... Limits>
struct retain {
  static_assert(detail::is_kind_tag<K>,
                "retain<K, ...>: K must be a kind tag such as kind::metric");
  static_assert((detail::limit_traits<Limits>::valid && ...),
                "retain<K, ...>: limits are keep_for<D>, keep_bytes<N> or keep_count<N>");
  using kind = K;
  static constexpr retention_limits limits{
      detail::first_nonzero(std::int64_t{0}, detail::limit_traits<Limits>::for_ns...),
      detail::first_nonzero(std::uint64_t{0}, detail::limit_traits<Limits>::bytes...),
      detail::first_nonzero(std::uint64_t{0}, detail::limit_traits<Limits>::count...)};
};

//! Roll a stream's active segment past Bytes or when its records span more than Age.
template <std::uint64_t Bytes, duration_arg Age = std::chrono::hours{1}>
struct segment {
  using category = tag::segment;
  static_assert(Bytes >= 4096, "segment<Bytes, Age>: Bytes must be at least 4096");
  static constexpr std::uint64_t bytes = Bytes;
  static constexpr std::int64_t age_ns = Age.ns;
};

}  // namespace introspect::inline v1
