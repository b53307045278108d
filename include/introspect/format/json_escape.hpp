#pragma once
//! JSON string escaping that always produces valid UTF-8 JSON, whatever bytes it is given.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace introspect::inline v1 {
namespace detail {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as RFC 3629 says).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

inline bool needs_escape(unsigned char c) noexcept {
  return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

// Nonzero when a byte of the 8 in `w` needs escaping: a control character, '"', '\\' or a byte
// >= 0x80. Bytes below 0x80 stay below it after the XORs, so a subtraction sets a byte's high
// bit only when the byte is below the subtrahend, or borrows from a lower byte that is: the
// borrow chains start at a byte that needs escaping, so there are no false alarms or misses.
inline std::uint64_t json_dirty_word(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  return (w | (w - 0x20 * ones) | ((w ^ (0x22 * ones)) - ones) | ((w ^ (0x5C * ones)) - ones)) &
         highs;
}

inline std::uint64_t load_word(const char* s) noexcept {
  std::uint64_t w;
  std::memcpy(&w, s, 8);
  return w;
}

// True when no byte of `s` needs escaping (printable ASCII other than '"' and '\\'); eight
// bytes per step, because names and keys are nearly always clean.
inline bool json_clean(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8)
    if (json_dirty_word(load_word(p))) return false;
  for (; n; ++p, --n)
    if (needs_escape(static_cast<unsigned char>(*p))) return false;
  return true;
}

#if defined(__SSE2__)
// Nonzero when a byte of the 16 in `v` needs escaping. One signed comparison finds both the
// control characters and the bytes >= 0x80 (negative as signed bytes); two more find '"' and
// '\\': six instructions for 16 bytes, where json_dirty_word takes eleven for 8.
[[gnu::always_inline]] inline int json_dirty_16(__m128i v) noexcept {
  const __m128i bad = _mm_or_si128(
      _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return _mm_movemask_epi8(bad);
}

[[gnu::always_inline]] inline __m128i load_16(const char* s) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
}
[[gnu::always_inline]] inline void store_16(char* p, __m128i v) noexcept {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}
#endif

// json_dirty_word for the short strings' one word: with SSE2, in a vector register.
[[gnu::always_inline]] inline bool json_dirty_small(std::uint64_t w) noexcept {
#if defined(__SSE2__)
  return (json_dirty_16(_mm_cvtsi64_si128(static_cast<long long>(w))) & 0xff) != 0;  // 8 bytes
#else
  return json_dirty_word(w) != 0;
#endif
}

// Writes `s` between quotes at `p` if no byte of it needs escaping and returns the end; returns
// nullptr otherwise (then p[0, s.size() + 2) holds garbage). One pass that checks and copies
// 16 bytes (SSE2) or a word at a time, the last piece overlapping, never reading outside `s`: a
// line's strings are short and nearly always clean, and a separate check, then a call to
// memcpy, cost more than the copy itself.
[[gnu::always_inline]] inline char* put_json_clean(char* p, std::string_view s) noexcept {
  const char* src = s.data();
  const std::size_t n = s.size();
  *p++ = '"';
#if defined(__SSE2__)
  if (n >= 16) {
    std::size_t i = 0;
    for (; i + 16 < n; i += 16) {
      const __m128i v = load_16(src + i);
      if (json_dirty_16(v)) return nullptr;
      store_16(p + i, v);
    }
    const __m128i v = load_16(src + n - 16);  // the last 16, overlapping (i >= n - 16)
    if (json_dirty_16(v)) return nullptr;
    store_16(p + n - 16, v);
  } else if (n >= 8) {  // the first and the last 8, overlapping, checked as one register
    const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src));
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + n - 8));
    if (json_dirty_16(_mm_unpacklo_epi64(a, b))) return nullptr;
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), a);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p + n - 8), b);
  } else
#else
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const std::uint64_t w = load_word(src + i);
      if (json_dirty_word(w)) return nullptr;
      std::memcpy(p + i, &w, 8);
    }
    if (i < n) {
      const std::uint64_t w = load_word(src + n - 8);
      if (json_dirty_word(w)) return nullptr;
      std::memcpy(p + n - 8, &w, 8);
    }
  } else
#endif
      if (n >= 4) {
    std::uint32_t a, b;  // two overlapping halves, checked as one word
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    if (json_dirty_small(a | std::uint64_t{b} << 32)) return nullptr;
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n) {  // 1 to 3 bytes: the first, middle and last, padded with clean 'a's
    const auto b0 = static_cast<unsigned char>(src[0]), b1 = static_cast<unsigned char>(src[n / 2]),
               b2 = static_cast<unsigned char>(src[n - 1]);
    if (json_dirty_small(0x6161616161000000ull | b0 | std::uint64_t{b1} << 8 |
                         std::uint64_t{b2} << 16))
      return nullptr;
    p[0] = static_cast<char>(b0);
    p[n / 2] = static_cast<char>(b1);
    p[n - 1] = static_cast<char>(b2);
  }
  p[n] = '"';
  return p + n + 1;
}

}  // namespace detail

//! Appends `s` as a quoted JSON string; invalid UTF-8 bytes become U+FFFD.
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  if (detail::json_clean(s)) {
    const std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    p[0] = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());  // s.data() may be null when empty
    p[s.size() + 1] = '"';
    return;
  }
  out.push_back('"');
  std::size_t i = 0, run = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!detail::needs_escape(c)) {
      ++i;
      continue;
    }
    if (i > run) out.append(s.data() + run, i - run);
    if (c >= 0x80) {
      const std::size_t n = detail::utf8_sequence_length(s, i);
      if (n) {
        out.append(s.data() + i, n);
        i += n;
      } else {
        out.append("\\ufffd");
        ++i;
      }
    } else {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        default:
          out.append("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
      }
      ++i;
    }
    run = i;
  }
  if (s.size() > run) out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace introspect::inline v1
