#pragma once
//! Equality of two short byte strings, inline (the writer's record keys, the rules' subjects).
#include <cstddef>
#include <cstdint>

namespace introspect::inline v1::detail {

// Equality of two byte strings of the same length `n`, compared a word at a time (the last word
// overlapping the loop's): keys are tens of bytes, and a call to memcmp through the PLT cost
// more than the compare on the writer's path.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b,
                                              std::size_t n) noexcept {
  if (n >= 8) {
    std::uint64_t x = 0, y = 0;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      __builtin_memcpy(&x, a + i, 8);
      __builtin_memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    __builtin_memcpy(&x, a + n - 8, 8);
    __builtin_memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    std::uint32_t x = 0, y = 0, u = 0, v = 0;
    __builtin_memcpy(&x, a, 4);
    __builtin_memcpy(&y, b, 4);
    __builtin_memcpy(&u, a + n - 4, 4);
    __builtin_memcpy(&v, b + n - 4, 4);
    return x == y && u == v;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace introspect::inline v1::detail
