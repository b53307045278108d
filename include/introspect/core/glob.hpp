#pragma once
//! Shell-style glob matching for names, as fnmatch(3) without flags: `*`, `?`, `[abc]`,
//! `[a-z]`, `[!x]` / `[^x]`, `[[:digit:]]` and the other classes, `\` escapes. `*` crosses dots,
//! so `cache.*` matches every name under `cache.`. The common shapes (`lit`, `lit*`, `*lit`,
//! `*lit*`) are a string search without fnmatch.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fnmatch.h>

namespace introspect::inline v1 {
namespace detail {

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

// Any glob: fnmatch(3) without flags (so `*` crosses `/` and `.`), on NUL-terminated copies
// (on the stack for the usual short names). A pattern ending in a lone `\` matches a `\` there
// (fnmatch would match nothing). fnmatch cannot see past a NUL byte, so a pattern or text that
// holds one matches only itself. Classes and ranges follow the program's locale (C unless it
// calls setlocale).
inline bool glob_match_general(std::string_view pattern, std::string_view text) noexcept {
  if (pattern.find('\0') != std::string_view::npos || text.find('\0') != std::string_view::npos)
    return pattern == text;
  std::size_t trailing = 0;
  while (trailing < pattern.size() && pattern[pattern.size() - 1 - trailing] == '\\') ++trailing;
  const std::size_t pn = pattern.size() + (trailing % 2), need = pn + 1 + text.size() + 1;
  char stack[512];
  std::string heap;
  char* buf = stack;
  if (need > sizeof stack) {
    heap.resize(need);
    buf = heap.data();
  }
  if (!pattern.empty()) std::memcpy(buf, pattern.data(), pattern.size());
  if (trailing % 2) buf[pattern.size()] = '\\';
  buf[pn] = '\0';
  char* t = buf + pn + 1;
  if (!text.empty()) std::memcpy(t, text.data(), text.size());
  t[text.size()] = '\0';
  return ::fnmatch(buf, t, 0) == 0;
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
