#pragma once
//! Jitter for retry delays: many instances that lost etcd together must not retry in lockstep.
#include <algorithm>
#include <chrono>
#include <cstdint>

namespace introspect::inline v1::etcd::detail {

//! `d` scaled by a pseudo-random factor in [1 - fraction, 1 + fraction] (fraction <= 0.5);
//! `state` is a xorshift64 state owned by the caller (no global state, no allocation).
inline std::chrono::milliseconds jittered(std::chrono::milliseconds d, double fraction,
                                          std::uint64_t& state) noexcept {
  fraction = std::clamp(fraction, 0.0, 0.5);
  if (fraction == 0.0) return d;
  state |= 1;
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  const double u = static_cast<double>(state >> 11) / static_cast<double>(1ull << 53);
  const double f = 1.0 + fraction * (2.0 * u - 1.0);
  return std::chrono::milliseconds{
      std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(d.count()) * f))};
}

}  // namespace introspect::inline v1::etcd::detail
