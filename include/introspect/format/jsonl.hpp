#pragma once
//! Encodes records as JSON lines: the tiny tier's file format and the CLI's jsonl output.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <introspect/core/record.hpp>
#include <introspect/format/json_escape.hpp>
#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1 {

namespace detail {

// Writes a finite double as fmt's "{}" writes it (the format files have always had): the
// shortest round-trip digits, in fixed notation when the decimal exponent is in [-4, 16), else
// as d[.ddd]e±XX; at most 26 bytes. std::to_chars does the digits (it lives in libstdc++, not in
// the product's text; fmt's formatter would add ~60 KB to a tiny-tier binary).
inline char* put_json_real(char* p, double v) noexcept {
  char sci[32];
  const auto r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  const std::string_view s(sci, static_cast<std::size_t>(r.ptr - sci));
  const auto e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  if (exp < -4 || exp >= 16) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  // Fixed: the sign, then the significant digits with the point moved by `exp`.
  std::string_view m = s.substr(0, e);
  if (m.front() == '-') {
    *p++ = '-';
    m.remove_prefix(1);
  }
  char digits[24];
  std::size_t n = 0;
  for (char c : m)
    if (c != '.') digits[n++] = c;
  if (exp < 0) {
    *p++ = '0';
    *p++ = '.';
    for (int z = -exp - 1; z > 0; --z) *p++ = '0';
    std::memcpy(p, digits, n);
    return p + n;
  }
  const auto whole = static_cast<std::size_t>(exp) + 1;
  if (whole >= n) {
    std::memcpy(p, digits, n);
    p += n;
    for (std::size_t z = n; z < whole; ++z) *p++ = '0';
    return p;
  }
  std::memcpy(p, digits, whole);
  p += whole;
  *p++ = '.';
  std::memcpy(p, digits + whole, n - whole);
  return p + (n - whole);
}

// Writes v < 10^9 as exactly 9 digits. Two digits per table look-up, in independent chains:
// the digit-by-digit loop is a chain of 9 dependent divisions, 40 % of a line's encoding.
inline void put_9_digits(char* p, std::uint32_t v) noexcept {
  static constexpr char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  const std::uint32_t hi = v / 10000, lo = v % 10000;  // 5 and 4 digits
  const std::uint32_t h3 = hi / 100, h2 = hi % 100;
  p[0] = static_cast<char>('0' + h3 / 100);
  std::memcpy(p + 1, pairs + 2 * (h3 % 100), 2);
  std::memcpy(p + 3, pairs + 2 * h2, 2);
  std::memcpy(p + 5, pairs + 2 * (lo / 100), 2);
  std::memcpy(p + 7, pairs + 2 * (lo % 100), 2);
}

inline void append_json_real(std::string& out, double v) {
  char buf[32];
  out.append(buf, static_cast<std::size_t>(put_json_real(buf, v) - buf));
}

// Copies s to p. Up to 64 bytes with overlapping 16, 8 or 4-byte loads and stores, inline: a
// line's pieces are short, and a call to memcpy (through the PLT, then its size dispatch) costs
// more than they do.
[[gnu::always_inline]] inline char* put_bytes(char* p, std::string_view s) noexcept {
  const char* src = s.data();
  const std::size_t n = s.size();
  if (n >= 16) {
    if (n > 64) {
      std::memcpy(p, src, n);
      return p + n;
    }
    char a[16], b[16];
    if (n > 32) {
      char c[16], d[16];
      std::memcpy(c, src + 16, 16);
      std::memcpy(d, src + n - 32, 16);
      std::memcpy(p + 16, c, 16);
      std::memcpy(p + n - 32, d, 16);
    }
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(p, a, 16);
    std::memcpy(p + n - 16, b, 16);
  } else if (n >= 8) {
    std::uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
  } else if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
  } else if (n) {  // s.data() may be null when empty
    p[0] = src[0];
    p[n / 2] = src[n / 2];
    p[n - 1] = src[n - 1];
  }
  return p + n;
}

// A piece of text of at most N bytes, copied as N bytes at once where the line has room for them
// (the bytes past `size` are overwritten by what follows).
template <std::size_t N>
struct fixed_text {
  char text[N] = {};
  std::uint8_t size = 0;

  constexpr fixed_text() = default;
  constexpr fixed_text(std::string_view s) noexcept : size(static_cast<std::uint8_t>(s.size())) {
    for (std::size_t i = 0; i < s.size(); ++i) text[i] = s[i];
  }
  char* put(char* p) const noexcept {
    std::memcpy(p, text, N);
    return p + size;
  }
};

}  // namespace detail

//! Appends a value as JSON (non-finite numbers become null, which JSON has no other word for).
inline void append_json_value(std::string& out, const value_view& v) {
  switch (v.type()) {
    case value_type::integer: {
      char digits[24];
      const auto r = std::to_chars(digits, digits + sizeof digits, v.as_int());
      out.append(digits, static_cast<std::size_t>(r.ptr - digits));
      break;
    }
    case value_type::real:
      if (std::isfinite(v.as_real()))
        detail::append_json_real(out, v.as_real());
      else
        out.append("null");
      break;
    case value_type::boolean:
      out.append(v.as_bool() ? "true" : "false");
      break;
    case value_type::string:
      append_json_string(out, v.as_string());
      break;
    default:
      out.append("null");
  }
}

//! Turns records into JSON lines for one instance; caches the formatted second so that a burst
//! of records in the same second formats only the fraction. The line is written through a raw
//! pointer into room the caller reserved (max_bytes): a std::string append per piece costs a
//! call into libstdc++ each, about half of the encoding time.
class jsonl_encoder {
 public:
  explicit jsonl_encoder(std::string_view instance = {}) {
    set_instance(instance);
    cache_second(0);
  }

  void set_instance(std::string_view instance) {
    instance_json_.clear();
    append_json_string(instance_json_, instance);
    // The text between the timestamp and the source is the same for every record of a kind.
    head_max_ = 0;
    for (std::size_t k = 0; k < heads_.size(); ++k) {
      auto& h = heads_[k];
      h.assign("\",\"kind\":\"");
      h.append(to_string(static_cast<record_kind>(k)));
      h.append("\",\"instance\":");
      h.append(instance_json_);
      h.append(",\"source\":");
      head_max_ = std::max(head_max_, h.size());
    }
  }

  //! An upper bound of the bytes encode() writes for `r` (an escaped byte takes at most 6).
  std::size_t max_bytes(const record_view& r) const noexcept {
    const auto str = [](std::string_view s) { return 6 * s.size() + 2; };
    const auto val = [&](const value_view& v) {
      return v.type() == value_type::string ? str(v.as_string()) : std::size_t{32};
    };
    // ts 37, severity 25, type 32, the keys of value/fields/table and the end: 192 in all.
    std::size_t n = 192 + head_max_ + 32 + str(r.source) + str(r.name) + val(r.val);
    for (const auto& f : r.fields) n += 2 + str(f.key) + val(f.value);
    return n;
  }

  //! Appends one line (with its '\n') for `r` to `out`.
  void encode(const record_view& r, std::string& out) {
    const std::size_t at = out.size();
    out.resize(at + max_bytes(r));
    char* end = encode_to(r, out.data() + at);
    out.resize(static_cast<std::size_t>(end - out.data()));
  }

  //! Writes one line (with its '\n') for `r` at `p`, which has room for max_bytes(r); returns
  //! the end of the line.
  char* encode_to(const record_view& r, char* p) {
    using namespace std::string_view_literals;
    using detail::put_bytes;
    p = put_ts(p, r.ts_ns);
    const auto k = static_cast<std::size_t>(r.kind);
    if (k < heads_.size()) {
      p = put_bytes(p, heads_[k]);
    } else {
      p = put_bytes(p, "\",\"kind\":\""sv);
      p = put_bytes(p, to_string(r.kind));
      p = put_bytes(p, "\",\"instance\":"sv);
      p = put_bytes(p, instance_json_);
      p = put_bytes(p, ",\"source\":"sv);
    }
    p = put_string(p, r.source);
    p = put_bytes(p, ",\"name\":"sv);
    p = put_string(p, r.name);
    if (r.kind == record_kind::notification || r.kind == record_kind::insight) {
      static constexpr detail::fixed_text<24> sev[] = {
          ",\"severity\":\"debug\""sv,  ",\"severity\":\"info\""sv,
          ",\"severity\":\"notice\""sv, ",\"severity\":\"warning\""sv,
          ",\"severity\":\"error\""sv,  ",\"severity\":\"critical\""sv,
          ",\"severity\":\"unknown\""sv};
      const auto i = static_cast<std::size_t>(r.sev);
      p = sev[i < 6 ? i : 6].put(p);  // 24 bytes: within the 25 that max_bytes counts for it
    }
    if (r.mtype != metric_type::none) {
      p = put_bytes(p, ",\"type\":\""sv);
      p = put_bytes(p, to_string(r.mtype));
      *p++ = '"';
    }
    if (r.val.type() != value_type::none) {
      p = put_bytes(p, ",\"value\":"sv);
      p = put_value(p, r.val);
    }
    if (!r.fields.empty()) {
      p = put_bytes(p, ",\"fields\":{"sv);
      bool first = true;
      for (const auto& f : r.fields) {
        if (!first) *p++ = ',';
        first = false;
        p = put_string(p, f.key);
        *p++ = ':';
        p = put_value(p, f.value);
      }
      *p++ = '}';
    }
    if (r.flags & flag_table) p = put_bytes(p, ",\"table\":true"sv);
    *p++ = '}';
    *p++ = '\n';
    return p;
  }

 private:
  // A string as JSON: clean ones (nearly all) checked and copied between quotes in one pass;
  // others escaped through a scratch string, released when a huge one made it large.
  [[gnu::always_inline]] char* put_string(char* p, std::string_view s) {
    if (char* end = detail::put_json_clean(p, s)) [[likely]]
      return end;
    return put_escaped(p, s);
  }

  [[gnu::noinline]] char* put_escaped(char* p, std::string_view s) {
    scratch_.clear();
    append_json_string(scratch_, s);
    p = detail::put_bytes(p, scratch_);
    if (scratch_.capacity() > 4096) std::string().swap(scratch_);
    return p;
  }

  [[gnu::always_inline]] char* put_value(char* p, const value_view& v) {
    switch (v.type()) {
      case value_type::integer:
        return std::to_chars(p, p + 24, v.as_int()).ptr;
      case value_type::real:
        return put_real(p, v.as_real());
      case value_type::boolean:
        // Two calls, each with its length known: one call on a choice of two literals leaves
        // GCC 12 (-O1, a large unit) a path where it cannot bound the length (-Warray-bounds).
        return v.as_bool() ? detail::put_bytes(p, "true") : detail::put_bytes(p, "false");
      case value_type::string:
        return put_string(p, v.as_string());
      default:
        return detail::put_bytes(p, "null");
    }
  }

  [[gnu::noinline]] static char* put_real(char* p, double v) noexcept {
    if (std::isfinite(v)) return detail::put_json_real(p, v);
    return detail::put_bytes(p, "null");
  }

  // Writes {"ts":"<RFC 3339 time> (37 bytes). A time in the cached second costs a subtraction
  // and its 9 fraction digits.
  char* put_ts(char* p, std::int64_t ns) {
    // Unsigned: ns - cached_start_ may not fit in 64 bits; wrapped, it is >= 1e9 and misses.
    std::uint64_t frac = static_cast<std::uint64_t>(ns) - static_cast<std::uint64_t>(cached_start_);
    if (frac >= 1'000'000'000) frac = cache_second(ns);
    std::memcpy(p, cached_, 7 + 20);
    detail::put_9_digits(p + 27, static_cast<std::uint32_t>(frac));
    p[36] = 'Z';
    return p + 7 + rfc3339_length;
  }

  // Formats the second of `ns` into cached_; returns the nanoseconds into it.
  std::uint64_t cache_second(std::int64_t ns) noexcept {
    // The first whole second above INT64_MIN: earlier times (only a crafted frame holds them)
    // print as it, since their floored second times 1e9 does not fit in 64 bits.
    constexpr std::int64_t earliest = (INT64_MIN / 1'000'000'000 + 1) * 1'000'000'000;
    if (ns < earliest) ns = earliest;
    const std::int64_t sec = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    cached_start_ = sec * 1'000'000'000;
    std::memcpy(cached_, "{\"ts\":\"", 7);
    format_rfc3339(cached_start_, cached_ + 7);
    return static_cast<std::uint64_t>(ns - cached_start_);
  }

  std::string instance_json_;
  std::array<std::string, 8> heads_;  // indexed by record_kind
  std::size_t head_max_ = 0;
  std::string scratch_;
  // The second cached_ holds (its first ns); the constructor formats the epoch's second.
  std::int64_t cached_start_ = 0;
  char cached_[7 + rfc3339_length] = {};
};

}  // namespace introspect::inline v1
