#pragma once
// CRC32C (Castagnoli): hardware (SSE4.2) when the CPU has it, slice-by-8 tables otherwise.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define INTROSPECT_STORE_CRC_X86 1
#endif

namespace introspect::inline v1::store {
namespace detail {

inline constexpr std::uint32_t crc32c_poly = 0x82F63B78u;  // reflected Castagnoli

constexpr std::array<std::array<std::uint32_t, 256>, 8> make_crc32c_tables() {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1u) ? crc32c_poly : 0u);
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFu];
  return t;
}

inline constexpr auto crc32c_tables = make_crc32c_tables();

// State in/out is the raw (non-inverted) register.
inline std::uint32_t crc32c_sw(std::uint32_t c, const unsigned char* p, std::size_t n) noexcept {
  const auto& t = crc32c_tables;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian hosts only, as the format itself
    w ^= c;
    c = t[7][w & 0xFF] ^ t[6][(w >> 8) & 0xFF] ^ t[5][(w >> 16) & 0xFF] ^ t[4][(w >> 24) & 0xFF] ^
        t[3][(w >> 32) & 0xFF] ^ t[2][(w >> 40) & 0xFF] ^ t[1][(w >> 48) & 0xFF] ^
        t[0][(w >> 56) & 0xFF];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFFu];
  return c;
}

#ifdef INTROSPECT_STORE_CRC_X86
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_hw(std::uint32_t c,
                                                                 const unsigned char* p,
                                                                 std::size_t n) noexcept {
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
  // The tail in at most three steps, not up to seven dependent byte steps.
  if (n & 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    c = _mm_crc32_u32(c, w);
    p += 4;
  }
  if (n & 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    c = _mm_crc32_u16(c, w);
    p += 2;
  }
  if (n & 1) c = _mm_crc32_u8(c, *p);
  return c;
}

// Copies n bytes from `src` to `dst` and extends the CRC with them in the same pass: each word
// is loaded once, for the store and the CRC (a frame's payload is copied into the segment
// buffer and checksummed; two passes read it twice).
// `head` (head_n bytes, already in place) is checksummed first: a frame's header fields.
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_copy_hw(
    std::uint32_t c, const unsigned char* head, std::size_t head_n, unsigned char* dst,
    const unsigned char* src, std::size_t n) noexcept {
  if (head_n) c = crc32c_hw(c, head, head_n);  // inlined: same target
  std::uint64_t c64 = c;
  for (; n >= 8; n -= 8, src += 8, dst += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, src, 8);
    __builtin_memcpy(dst, &w, 8);
    c64 = _mm_crc32_u64(c64, w);
  }
  c = static_cast<std::uint32_t>(c64);
  if (n & 4) {
    std::uint32_t w;
    __builtin_memcpy(&w, src, 4);
    __builtin_memcpy(dst, &w, 4);
    c = _mm_crc32_u32(c, w);
    src += 4;
    dst += 4;
  }
  if (n & 2) {
    std::uint16_t w;
    __builtin_memcpy(&w, src, 2);
    __builtin_memcpy(dst, &w, 2);
    c = _mm_crc32_u16(c, w);
    src += 2;
    dst += 2;
  }
  if (n & 1) {
    *dst = *src;
    c = _mm_crc32_u8(c, *src);
  }
  return c;
}

inline bool crc32c_has_hw() noexcept {
  static const bool hw = __builtin_cpu_supports("sse4.2");
  return hw;
}
#endif

}  // namespace detail

//! Extends a finished CRC32C value `crc` (0 to start) with `n` more bytes.
inline std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0) noexcept {
  auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t c = ~crc;
#ifdef INTROSPECT_STORE_CRC_X86
  if (detail::crc32c_has_hw()) return ~detail::crc32c_hw(c, p, n);
#endif
  return ~detail::crc32c_sw(c, p, n);
}

//! Copies `n` bytes from `src` to `dst` (not overlapping) and returns the CRC32C of `head`
//! (head_n bytes) followed by those bytes, reading each byte once: a frame's header fields and
//! its payload, copied into the segment buffer.
inline std::uint32_t crc32c_copy(void* dst, const void* src, std::size_t n, const void* head,
                                 std::size_t head_n) noexcept {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  auto* h = static_cast<const unsigned char*>(head);
#ifdef INTROSPECT_STORE_CRC_X86
  if (detail::crc32c_has_hw()) return ~detail::crc32c_copy_hw(~0u, h, head_n, d, s, n);
#endif
  if (n) std::memcpy(d, s, n);
  return ~detail::crc32c_sw(detail::crc32c_sw(~0u, h, head_n), s, n);
}

//! CRC32C of a byte span.
inline std::uint32_t crc32c(std::span<const std::byte> bytes, std::uint32_t crc = 0) noexcept {
  return crc32c(bytes.data(), bytes.size(), crc);
}

}  // namespace introspect::inline v1::store
