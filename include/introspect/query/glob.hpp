#pragma once
//! Shell-style glob matching for names: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`, `\` escapes.
//! `*` crosses dots, so `cache.*` matches every name under `cache.`.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

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

// The shapes "lit", "lit*", "*lit" and "*lit*" (most --name globs) are a plain string search;
// returns false when `p` has another shape.
inline bool glob_simple(std::string_view p, std::string_view t, bool& result) noexcept {
  const std::size_t lead = !p.empty() && p.front() == '*';
  const std::size_t trail = p.size() > lead && p.back() == '*';
  const auto lit = p.substr(lead, p.size() - lead - trail);
  if (lit.find_first_of("*?[\\") != std::string_view::npos) return false;
  if (lead && trail)
    result = t.find(lit) != std::string_view::npos;
  else if (lead)
    result = t.ends_with(lit);
  else if (trail)
    result = t.starts_with(lit);
  else
    result = t == lit;
  return true;
}

// Any glob: an iterative matcher with one backtrack point, linear for the usual patterns and
// never recursive.
inline bool glob_match_general(std::string_view pattern, std::string_view text) noexcept {
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

}  // namespace detail

//! True if `text` matches the glob `pattern` entirely.
inline bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  if (bool r = false; detail::glob_simple(pattern, text, r)) return r;
  return detail::glob_match_general(pattern, text);
}

//! True if `pattern` has no glob metacharacters (then plain equality is enough).
inline bool glob_is_literal(std::string_view pattern) noexcept {
  return pattern.find_first_of("*?[\\") == std::string_view::npos;
}

//! Any of several globs, with each distinct name's verdict remembered: a store holds a few
//! hundred names over millions of records, so the globs run about once per name.
class glob_set_cache {
 public:
  explicit glob_set_cache(std::vector<std::string> globs) : globs_(std::move(globs)) {}

  //! True if any glob matches `name` (true when there are no globs).
  bool matches(std::string_view name) {
    if (globs_.empty()) return true;
    slot& s = slots_[hash(name) & (slots_.size() - 1)];
    if (s.used && s.name == name) return s.verdict;
    s.verdict = false;
    for (const auto& g : globs_)
      if (glob_match(g, name)) {
        s.verdict = true;
        break;
      }
    s.name.assign(name);  // a collision evicts: the verdict is recomputed, never wrong
    s.used = true;
    return s.verdict;
  }

 private:
  struct slot {
    std::string name;
    bool used = false, verdict = false;
  };
  // A word at a time (names are short); every byte counts, so x.1.y and x.2.y differ.
  static std::size_t hash(std::string_view n) noexcept {
    constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
    std::uint64_t h = n.size() * k;
    for (std::size_t i = 0; i < n.size(); i += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, n.data() + i, std::min<std::size_t>(8, n.size() - i));
      h = (h ^ w) * k;
      h ^= h >> 32;
    }
    return static_cast<std::size_t>(h);
  }

  std::vector<std::string> globs_;
  std::array<slot, 1024> slots_{};
};

}  // namespace introspect::inline v1
