#pragma once
// Reading columns and writing frames in the columnar block codec's decoder (frame_columns.hpp,
// columns_decode.hpp): the same checks as codec::byte_reader and a bounded output, with the
// common cases (one-byte varints, short copies) inlined, because a scan runs them a few times
// per record and a call per byte string cost more than the copy itself (callgrind).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace introspect::inline v1::store::detail::columns {

// The varint of byte_reader::varint() (same values, same failures), its one-byte case inlined.
[[gnu::always_inline]] inline bool next_varint(const char*& p, const char* end, std::uint64_t& v) {
  if (p < end && !(static_cast<std::uint8_t>(*p) & 0x80)) [[likely]] {
    v = static_cast<std::uint8_t>(*p++);
    return true;
  }
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    const auto b = static_cast<std::uint8_t>(*p++);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

// A column being read: what codec::byte_reader does (every read fails, and stays failed,
// instead of overrunning), inlined.
struct col_reader {
  const char* p;
  const char* end;
  bool good = true;
  explicit col_reader(std::string_view s) noexcept : p(s.data()), end(s.data() + s.size()) {}
  bool ok() const noexcept { return good; }
  bool at_end() const noexcept { return p == end; }
  [[gnu::always_inline]] std::uint8_t u8() noexcept {
    if (p >= end) [[unlikely]]
      return fail(), 0;
    return static_cast<std::uint8_t>(*p++);
  }
  [[gnu::always_inline]] std::uint64_t varint() noexcept {
    std::uint64_t v = 0;
    if (!next_varint(p, end, v)) [[unlikely]]
      return fail(), 0;
    return v;
  }
  [[gnu::always_inline]] std::string_view bytes(std::uint64_t n) noexcept {
    if (static_cast<std::uint64_t>(end - p) < n) [[unlikely]]
      return fail(), std::string_view{};
    const std::string_view s{p, static_cast<std::size_t>(n)};
    p += n;
    return s;
  }
  [[gnu::always_inline]] std::string_view str() noexcept { return bytes(varint()); }
  void fail() noexcept {
    good = false;
    p = end;
  }
};

// Copies n bytes with loads that stay inside [s, s + n) and no call: two overlapping moves of a
// power of two (the sizes here are mostly a few to a few dozen bytes).
[[gnu::always_inline]] inline void copy_small(std::byte* d, const char* s, std::size_t n) {
  if (n >= 16) {
    if (n > 32) return (void)std::memcpy(d, s, n);
    char a[16], b[16];
    std::memcpy(a, s, 16);
    std::memcpy(b, s + n - 16, 16);
    std::memcpy(d, a, 16);
    std::memcpy(d + n - 16, b, 16);
  } else if (n >= 8) {
    std::uint64_t a, b;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::byte>(s[i]);
  }
}

inline std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t k = 1;
  for (; v >= 0x80; v >>= 7) ++k;
  return k;
}

// Bounded output of the decoder: every write is checked against the block's raw length.
struct out_cursor {
  std::byte* base;
  std::size_t pos, cap;
  [[gnu::always_inline]] bool put(std::string_view b) {
    if (cap - pos < b.size()) [[unlikely]]
      return false;
    copy_small(base + pos, b.data(), b.size());
    pos += b.size();
    return true;
  }
  [[gnu::always_inline]] bool put_u8(std::uint8_t v) {
    if (pos == cap) [[unlikely]]
      return false;
    base[pos++] = std::byte{v};
    return true;
  }
  [[gnu::always_inline]] bool put_varint(std::uint64_t v) {
    if (v < 0x80) [[likely]]
      return put_u8(static_cast<std::uint8_t>(v));
    if (cap - pos < 10 && cap - pos < varint_size(v)) return false;  // the size only near the end
    for (; v >= 0x80; v >>= 7) base[pos++] = static_cast<std::byte>(v | 0x80);
    base[pos++] = static_cast<std::byte>(v);
    return true;
  }
  std::string_view since(std::size_t start) const {
    return {reinterpret_cast<const char*>(base + start), pos - start};
  }
};

}  // namespace introspect::inline v1::store::detail::columns
