#pragma once
//! Equality of two short strings (a rule's subject: a severity's name, a metric's), inline.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace introspect::inline v1::insight::detail {

// Subjects are short (a severity's name, a metric's): compared inline a word at a time (the
// last word overlapping), not through memcmp's call.
inline bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char *x = a.data(), *y = b.data();
  if (n >= 8) {
    std::uint64_t u = 0, v = 0;
    for (std::size_t i = 0; i + 8 < n; i += 8) {
      __builtin_memcpy(&u, x + i, 8);
      __builtin_memcpy(&v, y + i, 8);
      if (u != v) return false;
    }
    __builtin_memcpy(&u, x + n - 8, 8);
    __builtin_memcpy(&v, y + n - 8, 8);
    return u == v;
  }
  if (n >= 4) {
    std::uint32_t u = 0, v = 0, w = 0, z = 0;
    __builtin_memcpy(&u, x, 4);
    __builtin_memcpy(&v, y, 4);
    __builtin_memcpy(&w, x + n - 4, 4);
    __builtin_memcpy(&z, y + n - 4, 4);
    return u == v && w == z;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return false;
  return true;
}

}  // namespace introspect::inline v1::insight::detail
