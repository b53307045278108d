#pragma once
//! Shell-style glob matching for names: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`, `\` escapes.
//! `*` crosses dots, so `cache.*` matches every name under `cache.`.
#include <string_view>

namespace introspect::inline v1 {
namespace detail {

// Matches one bracket expression at p[0] == '['; returns the position after it, or npos if it
// is not closed (then '[' is an ordinary character).
inline std::size_t glob_class(std::string_view p, char c, bool& matched) noexcept {
  std::size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool hit = false, first = true;
  for (; i < p.size() && (p[i] != ']' || first); first = false) {
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      if (hi == '\\' && i + 3 < p.size()) hi = p[++i + 2];
      i += 2;
    }
    if (c >= lo && c <= hi) hit = true;
    ++i;
  }
  if (i >= p.size()) return std::string_view::npos;
  matched = hit != negate;
  return i + 1;
}

}  // namespace detail

//! True if `text` matches the glob `pattern` entirely.
inline bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Iterative matcher with one backtrack point: linear for the usual patterns, never recursive.
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      const char pc = pattern[p];
      if (pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        bool m = false;
        const auto next = detail::glob_class(pattern.substr(p), text[t], m);
        if (next != std::string_view::npos) {
          if (m) {
            p += next;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {
          ++p;
          ++t;
          continue;
        }
      } else {
        char lit = pc;
        std::size_t adv = 1;
        if (pc == '\\' && p + 1 < pattern.size()) {
          lit = pattern[p + 1];
          adv = 2;
        }
        if (lit == text[t]) {
          p += adv;
          ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

//! True if `pattern` has no glob metacharacters (then plain equality is enough).
inline bool glob_is_literal(std::string_view pattern) noexcept {
  return pattern.find_first_of("*?[\\") == std::string_view::npos;
}

}  // namespace introspect::inline v1
