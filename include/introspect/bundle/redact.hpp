#pragma once
//! Redaction of record payloads before they leave the machine in a support bundle
//! (docs/support.md). Every redaction overwrites the secret's bytes with '*' in place, so a
//! frame keeps its length, its offset and every later offset: the store's indexes stay true
//! and only the frame's CRC is recomputed. The length of a secret is the one thing that shows.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <introspect/bundle/json_spans.hpp>
#include <introspect/codec/varint.hpp>
#include <introspect/core/glob.hpp>
#include <introspect/core/kind.hpp>
#include <introspect/core/secrets.hpp>

namespace introspect::inline v1::bundle {

//! What the bundle redacts; `key_patterns` are globs over snapshot record names (etcd keys).
struct redact_options {
  bool enabled = true;
  std::vector<std::string> key_patterns = {
      "*secret*",     "*password*", "*passwd*",           "*token*",
      "*credential*", "*private*",  "/registry/secrets/*"};
};

//! How many values each rule redacted (the manifest lists these).
struct redaction_counts {
  std::map<std::string, std::uint64_t> by_rule;
  std::uint64_t records = 0;  //!< records with at least one redaction
};

namespace detail {

// A string's bytes inside the payload.
struct span_ref {
  std::size_t pos = 0, len = 0;
};

inline char lower(char c) noexcept {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

inline bool glob_nocase(std::string_view pattern, std::string_view text) {
  std::string p(pattern), t(text);
  std::transform(p.begin(), p.end(), p.begin(), lower);
  std::transform(t.begin(), t.end(), t.begin(), lower);
  return glob_match(p, t);
}

// The credential after each "Bearer " (any case) in s: its bytes become '*'. Returns how many.
inline std::uint64_t mask_bearer(std::span<char> s) {
  std::uint64_t n = 0;
  static constexpr std::string_view word = "bearer";
  for (std::size_t i = 0; i + word.size() < s.size(); ++i) {
    std::size_t k = 0;
    while (k < word.size() && lower(s[i + k]) == word[k]) ++k;
    if (k < word.size()) continue;
    std::size_t j = i + k;
    if (s[j] != ' ' && s[j] != '\t' && s[j] != '=' && s[j] != ':') continue;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '=' || s[j] == ':')) ++j;
    std::size_t start = j;
    // RFC 6750 b64token characters.
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) ||
                            std::string_view{"-._~+/="}.find(s[j]) != std::string_view::npos))
      ++j;
    if (j == start) continue;
    std::fill(s.begin() + static_cast<std::ptrdiff_t>(start),
              s.begin() + static_cast<std::ptrdiff_t>(j), '*');
    ++n;
    i = j;
  }
  return n;
}

// The string spans of a version-1 payload (docs/payload.md): the value's, and each field's
// key and string value. False when the payload does not decode (it is then left as it is: a
// reader skips it too).
struct payload_spans {
  span_ref source, name;
  bool value_is_string = false;
  span_ref value;
  struct field {
    span_ref key;
    bool is_string = false;
    span_ref val;
  };
  std::vector<field> fields;
};

inline bool parse_payload(std::span<const std::byte> payload, payload_spans& s) {
  const std::string_view all{reinterpret_cast<const char*>(payload.data()), payload.size()};
  codec::byte_reader in(all);
  auto ref = [&](std::string_view v) {
    return span_ref{static_cast<std::size_t>(v.data() - all.data()), v.size()};
  };
  auto value = [&](bool& is_string, span_ref& out) {
    is_string = false;
    switch (in.u8()) {
      case 0:
        return true;
      case 1:
        in.varint();
        return true;
      case 2:
        in.bytes(8);
        return true;
      case 3:
        in.u8();
        return true;
      case 4:
        is_string = true;
        out = ref(in.str());
        return true;
      default:
        return false;
    }
  };
  if (in.u8() != 1) return false;
  in.bytes(3);
  s.source = ref(in.str());
  s.name = ref(in.str());
  if (!value(s.value_is_string, s.value)) return false;
  const auto count = in.varint();
  if (!in.ok() || count > all.size()) return false;
  s.fields.clear();
  for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
    payload_spans::field f;
    f.key = ref(in.str());
    if (!value(f.is_string, f.val)) return false;
    s.fields.push_back(f);
  }
  return in.ok() && in.at_end();
}

// Kubernetes object JSON: the Secret's data, env values with secret-like names (or URLs with
// a password), and the last-applied-configuration annotation. Returns (rule, count) pairs.
inline void mask_object_json(std::span<char> json, bool secret_hint,
                             std::map<std::string, std::uint64_t>& hits) {
  const std::string_view text{json.data(), json.size()};
  bool secret = secret_hint;
  std::vector<json_span> all;
  if (!json_walk(text, all)) {
    // Not JSON we can walk (too deep or malformed): what a Secret holds goes whole.
    if (secret) {
      std::fill(json.begin(), json.end(), '*');
      ++hits["kubernetes-secret"];
    }
    return;
  }
  for (const auto& s : all)
    if (s.depth == 1 && s.key == "kind" && s.is_string && s.text(text) == "Secret") secret = true;
  auto mask = [&](const json_span& s, const char* rule) {
    std::fill(json.begin() + static_cast<std::ptrdiff_t>(s.begin),
              json.begin() + static_cast<std::ptrdiff_t>(s.end), '*');
    ++hits[rule];
  };
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& s = all[i];
    if (!s.is_string) continue;
    if (secret && s.depth == 2 && (s.parent_key == "data" || s.parent_key == "stringData") &&
        s.parent_depth == 1) {
      mask(s, "kubernetes-secret");
      continue;
    }
    if (s.parent_key == "annotations" &&
        s.key == "kubectl.kubernetes.io/last-applied-configuration") {
      mask(s, "last-applied");
      continue;
    }
    // An env entry: {"name": N, "value": V} inside an array under "env".
    if (s.key == "value" && s.in_env_entry) {
      std::string_view name;
      for (const auto& o : all)
        if (o.container == s.container && o.key == "name" && o.is_string) name = o.text(text);
      if (name.empty() || secret_like_name(name) || url_with_credentials(s.text(text)))
        mask(s, "env");
    }
  }
}

}  // namespace detail

namespace detail {

// Whether "earer" or "EARER" occurs in [p, p + n): sixteen places per step compare the first
// and the last letter (either case), and only a place where both match is compared whole. A
// per-frame find() stopped at every 'e' of a metric name: the check was 7 % of a bundle's
// time (docs/benchmarks.md).
inline bool contains_bearer_word(const char* p, std::size_t n) noexcept {
  constexpr std::string_view lower = "earer", upper = "EARER";
  auto whole = [&](std::size_t i) {
    return std::memcmp(p + i, lower.data(), 5) == 0 || std::memcmp(p + i, upper.data(), 5) == 0;
  };
  if (n < 5) return false;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i fold = _mm_set1_epi8(0x20), e = _mm_set1_epi8('e'), r = _mm_set1_epi8('r');
  for (; i + 4 + 16 <= n; i += 16) {
    const __m128i a = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), fold);
    const __m128i b =
        _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 4)), fold);
    auto m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, e), _mm_cmpeq_epi8(b, r))));
    while (m) {
      if (whole(i + static_cast<std::size_t>(__builtin_ctz(m)))) return true;
      m &= m - 1;
    }
  }
#endif
  for (; i + 5 <= n; ++i)
    if (whole(i)) return true;
  return false;
}

}  // namespace detail

//! Whether a payload can need redaction: a snapshot, or a record holding the word "bearer"
//! (as "Bearer", "bearer" or "BEARER"). Most records are neither.
inline bool may_need_redaction(std::uint8_t kind, std::span<const std::byte> payload) noexcept {
  if (kind == static_cast<std::uint8_t>(record_kind::snapshot)) return true;
  return detail::contains_bearer_word(reinterpret_cast<const char*>(payload.data()),
                                      payload.size());
}

//! Redacts one record payload in place (kind: the frame's kind byte). Returns true when it
//! changed a byte (the caller recomputes the frame's CRC).
inline bool redact_payload(std::span<std::byte> payload, std::uint8_t kind,
                           const redact_options& opt, redaction_counts& counts) {
  if (!opt.enabled) return false;
  const bool snapshot = kind == static_cast<std::uint8_t>(record_kind::snapshot);
  if (!may_need_redaction(kind, payload)) return false;
  detail::payload_spans s;
  if (!detail::parse_payload(payload, s)) return false;
  char* base = reinterpret_cast<char*>(payload.data());
  auto span_of = [&](const detail::span_ref& r) { return std::span<char>{base + r.pos, r.len}; };
  auto view_of = [&](const detail::span_ref& r) { return std::string_view{base + r.pos, r.len}; };
  std::map<std::string, std::uint64_t> hits;
  auto mask = [&](const detail::span_ref& r, const char* rule) {
    auto sp = span_of(r);
    if (std::all_of(sp.begin(), sp.end(), [](char c) { return c == '*'; })) return;
    std::fill(sp.begin(), sp.end(), '*');
    ++hits[rule];
  };
  if (snapshot) {
    bool secret_kind = false;
    for (const auto& f : s.fields)
      if (f.is_string && view_of(f.key) == "kind" && view_of(f.val) == "Secret") secret_kind = true;
    const auto name = view_of(s.name);
    // Key patterns are for key-value stores (etcd keys); a Kubernetes object is redacted by
    // its structure (a Secret's data, env values), not whole because its name says "secret".
    bool key_hit = false;
    if (view_of(s.source) != "kubernetes")
      for (const auto& pat : opt.key_patterns)
        if (detail::glob_nocase(pat, name)) key_hit = true;
    if (s.value_is_string) {
      if (key_hit) {
        mask(s.value, "key-pattern");
      } else {
        auto v = span_of(s.value);
        const auto first = std::find_if(v.begin(), v.end(), [](char c) {
          return c != ' ' && c != '\n' && c != '\t' && c != '\r';
        });
        if (first != v.end() && (*first == '{' || *first == '['))
          detail::mask_object_json(v, secret_kind, hits);
        else if (secret_kind)
          mask(s.value, "kubernetes-secret");
      }
    }
    for (const auto& f : s.fields)
      if (f.is_string && secret_like_name(view_of(f.key))) mask(f.val, "field-name");
  }
  // Bearer tokens wherever they are: the value and every string field.
  if (s.value_is_string)
    if (auto n = detail::mask_bearer(span_of(s.value))) hits["bearer-token"] += n;
  for (const auto& f : s.fields)
    if (f.is_string)
      if (auto n = detail::mask_bearer(span_of(f.val))) hits["bearer-token"] += n;
  if (hits.empty()) return false;
  for (const auto& [k, n] : hits) counts.by_rule[k] += n;
  ++counts.records;
  return true;
}

}  // namespace introspect::inline v1::bundle
