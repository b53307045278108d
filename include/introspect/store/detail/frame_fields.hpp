#pragma once
// The fields of a record payload in the columnar block codec, version 2 (docs/format.md,
// "Columns codec"). A metric's fields are encoded per series and per field against the series'
// previous sample in the block: integers as zigzag deltas, reals as XOR, strings as "same as
// before" or bytes, and a histogram's bucket text (`ll4 31:1 42:3 ...`: a head, then ascending
// `index:count` pairs) as its index set (same, grown, or new), a bitmap of the buckets whose
// count changed and those changes: an unchanged bucket costs one bit before zstd. Only
// canonical encodings are taken apart (every varint minimal, decimals without leading zeros), so
// the decoder gives back the exact bytes; anything else stays literal bytes.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/codec/varint.hpp>

namespace introspect::inline v1::store::detail::columns {

struct bucket {
  std::uint32_t index = 0;
  std::uint64_t count = 0;
};
inline constexpr std::uint32_t no_bucket = 0xFFFFFFFFu;

// What the previous sample of a series left for field i (both sides keep the same state).
struct field_state {
  std::int64_t prev_int = 0;
  std::uint64_t prev_bits = 0;
  std::string_view prev_str, head;  // encoder: into the block; decoder: into the output
  bool has_str = false, has_head = false;
  std::vector<bucket> buckets;  // encoder: the last bucket list
  // Decoder (bucket_columns.hpp): the last bucket text after its head (in the output), and per
  // bucket its index, the end of its text in btext and its count's number of digits.
  std::string_view btext;
  std::vector<std::uint32_t> bidx, bend;
  std::vector<std::uint8_t> bdig;
  std::vector<std::uint64_t> bcnt;  // and its count (version 4 derives fields from them)
};

struct field_key {
  std::string_view key;
  std::uint8_t tag = 0;
};

// Reads a varint that re-encodes to the same bytes (false otherwise).
inline bool canonical_varint(codec::byte_reader& r, std::uint64_t& v) {
  const auto before = r.bytes(0).data();
  v = r.varint();
  if (!r.ok()) return false;
  char b[10];
  std::size_t k = 0;
  auto x = v;
  for (; x >= 0x80; x >>= 7) b[k++] = static_cast<char>(x | 0x80);
  b[k++] = static_cast<char>(x);
  return static_cast<std::size_t>(r.bytes(0).data() - before) == k &&
         std::memcmp(before, b, k) == 0;
}

// A decimal without sign or leading zero ("0" itself is fine) that fits `T`.
template <class T>
inline bool canonical_decimal(const char*& p, const char* end, T& v) {
  if (p == end || *p < '0' || *p > '9' || (*p == '0' && p + 1 != end && p[1] >= '0' && p[1] <= '9'))
    return false;
  const auto r = std::from_chars(p, end, v);
  if (r.ec != std::errc{}) return false;
  p = r.ptr;
  return true;
}

// Bucket text: head (no space), then " index:count" with strictly ascending indices.
inline bool parse_buckets(std::string_view t, std::string_view& head, std::vector<bucket>& out) {
  out.clear();
  const auto sp = t.find(' ');
  head = t.substr(0, sp);
  if (head.empty() || sp == std::string_view::npos) return false;
  const char *p = t.data() + sp, *end = t.data() + t.size();
  while (p != end) {
    if (*p++ != ' ') return false;
    bucket b;
    if (!canonical_decimal(p, end, b.index) || p == end || *p++ != ':' ||
        !canonical_decimal(p, end, b.count) || (!out.empty() && b.index <= out.back().index))
      return false;
    out.push_back(b);
  }
  return true;
}

// Appends the encoding of bucket list `now` against `st` to B (structure), M (bitmap of changed
// counts) and C (each change minus 1, mod 2^64: counts grow): streams of different statistics,
// which zstd compresses better apart (measured: 12 % less than a 0 for every unchanged bucket).
inline void put_buckets(std::string& B, std::string& M, std::string& C, field_state& st,
                        std::string_view head, const std::vector<bucket>& now) {
  const auto& was = st.buckets;
  std::uint8_t flags = (st.has_head && head == st.head) ? 1 : 0;
  bool same = now.size() == was.size(), grown = now.size() >= was.size();
  for (std::size_t i = 0, j = 0; (same || grown) && i < was.size(); ++i) {
    while (j < now.size() && now[j].index < was[i].index) ++j;
    if (j == now.size() || now[j].index != was[i].index) same = grown = false;
    if (same && j != i) same = false;
  }
  flags |= static_cast<std::uint8_t>((same ? 0 : grown ? 1 : 2) << 1);
  B.push_back(static_cast<char>(flags));
  if (!(flags & 1)) {
    codec::put_varint(B, head.size());
    B.append(head);
  }
  if (!same) {
    codec::put_varint(B, grown ? now.size() - was.size() : now.size());
    std::uint64_t next = 0;  // indices gap-coded: each written as index - (previous + 1)
    for (std::size_t i = 0, j = 0; i < now.size(); ++i) {
      while (j < was.size() && was[j].index < now[i].index) ++j;
      if (grown && j < was.size() && was[j].index == now[i].index) continue;
      codec::put_varint(B, now[i].index - next);
      next = std::uint64_t{now[i].index} + 1;
    }
  }
  const auto bitmap = M.size();
  M.append((now.size() + 7) / 8, '\0');
  for (std::size_t i = 0, j = 0; i < now.size(); ++i) {
    while (j < was.size() && was[j].index < now[i].index) ++j;
    const auto before = (j < was.size() && was[j].index == now[i].index) ? was[j].count : 0;
    if (now[i].count == before) continue;
    M[bitmap + i / 8] = static_cast<char>(M[bitmap + i / 8] | (1 << (i % 8)));
    codec::put_varint(C, now[i].count - before - 1);  // a reset (count falls) costs 10 bytes
  }
  st.head = head;
  st.has_head = true;
  st.buckets = now;
}

// Fields of a record as the encoder takes them apart (views into the payload).
struct parsed_field {
  std::string_view key, body;  // body: the value's bytes after its tag (a string's text)
  std::uint8_t tag = 0;
};

// The fields part of a payload (`varint N`, N fields) when every part of it is canonical.
inline bool parse_fields(std::string_view rest, std::vector<parsed_field>& out) {
  out.clear();
  codec::byte_reader r(rest);
  std::uint64_t n = 0;
  if (!canonical_varint(r, n) || n > rest.size()) return false;
  for (std::uint64_t i = 0; i < n; ++i) {
    parsed_field f;
    std::uint64_t len = 0;
    if (!canonical_varint(r, len)) return false;
    f.key = r.bytes(len);
    f.tag = r.u8();
    if (!r.ok()) return false;
    switch (f.tag) {
      case 0:
        break;
      case 1: {
        const auto at = r.bytes(0).data();
        std::uint64_t z = 0;
        if (!canonical_varint(r, z)) return false;
        f.body = {at, static_cast<std::size_t>(r.bytes(0).data() - at)};
        break;
      }
      case 2:
        f.body = r.bytes(8);
        break;
      case 3:
        f.body = r.bytes(1);
        break;
      case 4:
        if (!canonical_varint(r, len)) return false;
        f.body = r.bytes(len);
        break;
      default:
        return false;
    }
    if (!r.ok()) return false;
    out.push_back(f);
  }
  return r.at_end();
}

// A series' field schema (keys and tags of its last record in fields mode) and field states.
struct series_fields {
  bool known = false;
  bool histogram = false;        // the schema is a histogram snapshot's (histogram_fields.hpp)
  std::uint64_t prev_resid = 0;  // its sum minus the buckets' estimate, last derived record
  std::string schema;            // encoder: the K bytes of the schema
  std::vector<field_key> keys;
  std::vector<field_state> f;
};

struct field_columns {
  std::string K, F, B, C, N, M;
};

}  // namespace introspect::inline v1::store::detail::columns
