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
  // Decoder only: where this bucket's " index:count" text lies in the output, its length and the
  // length of its " index:" part, so that the next sample copies it instead of printing it.
  std::uint32_t at = 0, from = 0;  // from: its position in the previous list (no_bucket: new)
  std::uint8_t index_len = 0, len = 0;
};
inline constexpr std::uint32_t no_bucket = 0xFFFFFFFFu;

// What the previous sample of a series left for field i (both sides keep the same state).
struct field_state {
  std::int64_t prev_int = 0;
  std::uint64_t prev_bits = 0;
  std::string_view prev_str, head;  // encoder: into the block; decoder: into the output
  bool has_str = false, has_head = false;
  std::vector<bucket> buckets;
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

// Bounded output of the decoder: every write is checked against the block's raw length.
struct out_cursor {
  std::byte* base;
  std::size_t pos, cap;
  bool put(std::string_view b) {
    if (cap - pos < b.size()) return false;
    if (!b.empty()) std::memcpy(base + pos, b.data(), b.size());
    pos += b.size();
    return true;
  }
  bool put_u8(std::uint8_t v) {
    if (pos == cap) return false;
    base[pos++] = std::byte{v};
    return true;
  }
  bool put_varint(std::uint64_t v) {
    char b[10];
    std::size_t k = 0;
    for (; v >= 0x80; v >>= 7) b[k++] = static_cast<char>(v | 0x80);
    b[k++] = static_cast<char>(v);
    return put({b, k});
  }
  std::string_view since(std::size_t start) const {
    return {reinterpret_cast<const char*>(base + start), pos - start};
  }
};

// Rebuilds bucket text from B and C against `st` and writes it as a `str` (length, then text);
// `body` is the text in the output. False on any inconsistency.
inline bool get_buckets(codec::byte_reader& B, codec::byte_reader& M, codec::byte_reader& C,
                        field_state& st, std::vector<bucket>& tmp, std::string& text, out_cursor& o,
                        std::string_view& body) {
  const auto flags = B.u8();
  if (!B.ok() || flags > 5) return false;
  std::string_view head;
  if (flags & 1) {
    if (!st.has_head) return false;
    head = st.head;
  } else {
    head = B.str();
    if (!B.ok() || head.empty()) return false;
  }
  auto& was = st.buckets;
  const auto op = flags >> 1;
  if (op == 0) {
    tmp.resize(was.size());
    for (std::size_t i = 0; i < was.size(); ++i) tmp[i].from = static_cast<std::uint32_t>(i);
  } else {
    const auto n = B.varint();
    // Each bucket takes at least 4 bytes of text (" i:c"): a bound before allocating.
    if (!B.ok() || n > (o.cap - o.pos) / 4) return false;
    tmp.clear();
    std::uint64_t next = 0;
    std::size_t j = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
      const auto idx = next + B.varint();
      if (!B.ok() || idx < next || idx > 0xFFFFFFFFu) return false;
      next = idx + 1;
      if (op == 1)
        for (; j < was.size() && was[j].index < idx; ++j)
          tmp.push_back({was[j].index, 0, 0, static_cast<std::uint32_t>(j), 0, 0});
      tmp.push_back({static_cast<std::uint32_t>(idx), 0, 0, no_bucket, 0, 0});
    }
    if (op == 1)
      for (; j < was.size(); ++j)
        tmp.push_back({was[j].index, 0, 0, static_cast<std::uint32_t>(j), 0, 0});
    for (std::size_t i = 1; i < tmp.size(); ++i)
      if (tmp[i].index <= tmp[i - 1].index) return false;  // an "added" index that was there
    // Op 2 (a new set): buckets that were there keep their counts (a merge with the old list).
    for (std::size_t i = 0, k = 0; op == 2 && i < tmp.size(); ++i) {
      while (k < was.size() && was[k].index < tmp[i].index) ++k;
      if (k < was.size() && was[k].index == tmp[i].index)
        tmp[i].from = static_cast<std::uint32_t>(k);
    }
  }
  const auto bm = M.bytes((tmp.size() + 7) / 8);
  if (!M.ok()) return false;
  // The text is made in `text` (it may not fit: only its length says, and the length comes
  // first), then copied after its length. A bucket's text is at most 32 bytes; `limit` stops a
  // hostile count of buckets from growing `text` past what the output could take.
  const std::size_t limit = o.cap - o.pos;
  if (text.size() < std::min(head.size() + 32 * tmp.size(), limit) + 32)
    text.resize(std::min(head.size() + 32 * tmp.size(), limit) + 32);
  if (head.size() > limit) return false;
  std::memcpy(text.data(), head.data(), head.size());
  char* const t0 = text.data();
  char* p = t0 + head.size();
  const char* const base = reinterpret_cast<const char*>(o.base);
  // The changes first (the bits set, in order), so that the loop below has no branch on a bit:
  // whether a bucket changed is as good as random, and a mispredicted branch per bucket cost
  // more than printing every count again (measured).
  thread_local std::vector<std::uint64_t> adds;
  adds.resize(bm.size() * 8 + 1);
  std::size_t nadd = 0;
  for (std::size_t byte = 0; byte < bm.size(); ++byte)
    for (unsigned b = static_cast<std::uint8_t>(bm[byte]); b; b &= b - 1)
      adds[nadd++] = C.varint() + 1;
  if (nadd > tmp.size()) return false;  // bits set past the last bucket
  if (!C.ok()) return false;
  static const bucket none_before{};
  for (std::size_t i = 0, k = 0; i < tmp.size(); ++i) {
    if (static_cast<std::size_t>(p - t0) > limit) return false;
    auto& e = tmp[i];
    const bool had = e.from != no_bucket;
    const bucket& w = had ? was[e.from] : none_before;
    const bool changed = static_cast<std::uint8_t>(bm[i / 8]) >> (i % 8) & 1;
    const auto c = w.count + (changed ? adds[k] : 0);
    k += changed;
    e.at = static_cast<std::uint32_t>(p - t0);
    if (had) [[likely]] {
      e.index = w.index;
      e.index_len = w.index_len;
      // The previous " index:count" (at most 32 bytes; output and `text` have the slack for a
      // fixed-size copy), then the count's change added to its last digits in place: a count
      // grows by a few per sample, so printing it again is rarely needed.
      std::memcpy(p, base + w.at, 32);
      const auto add = c - w.count;
      char* const last = p + w.len - 1;
      if (add < 10 && w.len - w.index_len < 20) {
        auto d = static_cast<unsigned>(*last - '0') + static_cast<unsigned>(add);
        *last = static_cast<char>('0' + d % 10);
        char* q = last - 1;
        for (; d >= 10 && q >= p + w.index_len; --q) {
          d = static_cast<unsigned>(*q - '0') + 1;
          *q = static_cast<char>('0' + d % 10);
        }
        if (d < 10) {
          p += w.len;
          e.count = c;
          e.len = w.len;
          continue;
        }
      }
      p += w.index_len;  // a longer count: printed
    } else {
      *p++ = ' ';
      p = std::to_chars(p, p + 10, e.index).ptr;
      *p++ = ':';
      e.index_len = static_cast<std::uint8_t>(p - t0 - e.at);
    }
    p = std::to_chars(p, p + 20, c).ptr;
    e.count = c;
    e.len = static_cast<std::uint8_t>(p - t0 - e.at);
  }
  // Padding bits of the bitmap must be 0 (one encoding per text).
  if ((tmp.size() % 8 && static_cast<std::uint8_t>(bm.back()) >> (tmp.size() % 8))) return false;
  const auto len = static_cast<std::size_t>(p - t0);
  if (!o.put_varint(len)) return false;
  const auto start = o.pos;
  if (!o.put({t0, len})) return false;
  for (auto& e : tmp) e.at += static_cast<std::uint32_t>(start);
  body = o.since(start);
  st.head = body.substr(0, head.size());
  st.has_head = true;
  was.swap(tmp);
  return true;
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
  std::string schema;  // encoder: the K bytes of the schema
  std::vector<field_key> keys;
  std::vector<field_state> f;
};

struct field_columns {
  std::string K, F, B, C, N, M;
};

}  // namespace introspect::inline v1::store::detail::columns
