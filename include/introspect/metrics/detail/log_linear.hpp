#pragma once
// Log-linear bucket layout (HdrHistogram-like): values below 2^sub_bits each have a bucket; above,
// every power-of-two range [2^e, 2^(e+1)) is split into 2^sub_bits equal buckets. A bucket's width
// is at most 1/2^sub_bits of its lower bound, so its midpoint is within 1/2^(sub_bits+1) (3.1%)
// of any value in it, over the whole range 0 .. 2^64-1.

#include <bit>
#include <cstdint>
#include <limits>

namespace introspect::inline v1::metrics::detail {

//! log2 of the linear sub-buckets per power-of-two group.
inline constexpr unsigned sub_bits = 4;
//! Linear sub-buckets per power-of-two group.
inline constexpr unsigned sub_count = 1u << sub_bits;
//! Buckets covering 0 .. 2^64-1: one exact group below 2^sub_bits, then one group per exponent.
inline constexpr unsigned bucket_count = (64 - sub_bits + 1) * sub_count;

//! The bucket holding `v`.
[[gnu::always_inline]] constexpr unsigned bucket_index(std::uint64_t v) noexcept {
  if (v < sub_count) return static_cast<unsigned>(v);
  const unsigned e = 63u - static_cast<unsigned>(std::countl_zero(v));  // >= sub_bits
  const unsigned shift = e - sub_bits;
  return (shift + 1) * sub_count + static_cast<unsigned>((v >> shift) & (sub_count - 1));
}

//! The smallest value in bucket `i`.
constexpr std::uint64_t bucket_lower(unsigned i) noexcept {
  if (i < sub_count) return i;
  const unsigned shift = i / sub_count - 1;
  return (std::uint64_t{sub_count} + i % sub_count) << shift;
}

//! The largest value in bucket `i` (inclusive, so the last bucket does not overflow).
constexpr std::uint64_t bucket_upper(unsigned i) noexcept {
  if (i < sub_count) return i;
  const unsigned shift = i / sub_count - 1;
  return bucket_lower(i) + ((std::uint64_t{1} << shift) - 1);
}

//! The value reported for bucket `i`: its midpoint.
constexpr std::uint64_t bucket_mid(unsigned i) noexcept {
  return bucket_lower(i) + (bucket_upper(i) - bucket_lower(i)) / 2;
}

static_assert(bucket_index(0) == 0 && bucket_index(15) == 15 && bucket_index(16) == 16);
static_assert(bucket_index(31) == 31 && bucket_index(32) == 32 && bucket_index(33) == 32);
static_assert(bucket_index(std::numeric_limits<std::uint64_t>::max()) == bucket_count - 1);
static_assert(bucket_upper(bucket_count - 1) == std::numeric_limits<std::uint64_t>::max());
static_assert(bucket_lower(bucket_index(1000)) <= 1000 && bucket_upper(bucket_index(1000)) >= 1000);

}  // namespace introspect::inline v1::metrics::detail
