#pragma once
//! Jitter for retry delays, shared by the threaded sources: many product instances that lost a
//! server together must not retry in lockstep when it returns.
#include <algorithm>
#include <chrono>
#include <cstdint>

namespace introspect::inline v1::source::detail {

//! A tiny deterministic generator (xorshift64): no allocation, no global state.
struct jitter_rng {
  std::uint64_t s;
  explicit jitter_rng(std::uint64_t seed) noexcept : s(seed | 1) {}
  //! A uniform number in [0, 1).
  double next() noexcept {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<double>(s >> 11) / static_cast<double>(1ull << 53);
  }
};

//! `d` scaled by a random factor in [1 - fraction, 1 + fraction] (fraction clamped to 0..0.5),
//! at least 1 ms.
inline std::chrono::milliseconds jittered(std::chrono::milliseconds d, double fraction,
                                          jitter_rng& rng) noexcept {
  fraction = std::clamp(fraction, 0.0, 0.5);
  if (fraction == 0.0) return d;
  const double f = 1.0 + fraction * (2.0 * rng.next() - 1.0);
  return std::chrono::milliseconds{
      std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(d.count()) * f))};
}

}  // namespace introspect::inline v1::source::detail
