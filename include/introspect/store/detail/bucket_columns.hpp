#pragma once
// Decoding side of a histogram's bucket text in the columnar block codec, version 2
// (docs/format.md, "Columns codec"; the encoder is put_buckets in frame_fields.hpp). A scan decodes
// ~140 buckets per histogram sample, so this is the codec's hot loop. The text of a series'
// previous sample is still in the output, and most samples keep its bucket set: the new text is
// that text copied whole, then each changed count incremented where it stands (eight digits at a
// time, carries included, no branch per digit). Only a count that gains or loses a digit moves the
// text after it; from there on the old text is copied piece by piece. The per-series state is the
// position of each bucket's end in that text and its count's digit count: counts themselves are
// read back from the text in the rare cases that need them (a big change, a changed bucket set);
// they are also kept as numbers, for version 4's derived fields (histogram_fields.hpp).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/store/detail/column_reader.hpp>
#include <introspect/store/detail/frame_fields.hpp>

namespace introspect::inline v1::store::detail::columns {

inline std::uint64_t load_be64(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  return w;
}
inline void store_be64(char* p, std::uint64_t w) noexcept {
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
}

// Adds `add` (< 10) to the decimal count of `nd` (<= 8) digits that ends at `end`, in place;
// false (nothing written) when the count would need another digit or the case is not this one.
// The 8 bytes before `end` are read as one number, last digit lowest; each digit byte '0' + d
// becomes d + 0xF6, so that a digit reaching 10 carries into the next byte as integer addition
// does; the bytes that did not carry are then 0xF6 too high (their top bit says which). The
// bytes before the digits are kept.
[[gnu::always_inline]] inline bool add_in_place(char* end, unsigned nd, std::uint64_t add) {
  if (add > 9 || nd > 8) [[unlikely]]
    return false;
  const std::uint64_t w = load_be64(end - 8);
  const std::uint64_t m = ~std::uint64_t{0} >> (64 - 8 * nd);
  // Only the digit bytes are non-zero in x ('0' + d + 0xC6 = d + 0xF6, no byte overflows).
  const std::uint64_t x = (w & m) + (0xC6C6C6C6C6C6C6C6u & m) + add;
  if (!(x & (m ^ (m >> 1)))) [[unlikely]]
    return false;  // the first digit carried (its top bit is clear): one digit more
  const std::uint64_t kept = (x & 0x8080808080808080u) >> 7;
  store_be64(end - 8, (w & ~m) | (x - kept * 0xF6 + (0x3030303030303030u & m)));
  return true;
}

// The count `old` (its `nd` digits end at `end`) plus `add` (mod 2^64), printed into `buf`.
inline unsigned print_sum(const char* end, unsigned nd, std::uint64_t add, char (&buf)[20]) {
  std::uint64_t old = 0;
  (void)std::from_chars(end - nd, end, old);  // the decoder's own digits: always valid
  return static_cast<unsigned>(std::to_chars(buf, buf + 20, old + add).ptr - buf);
}

// Writes at `w` the count whose `nd` digits are at `d` in the old text plus `add`; returns the
// end (nullptr when it does not fit before `limit`) and its digits in `nd_out`. Never writes
// more than the new count takes, so a text that ends exactly at the block's end is not refused.
inline char* put_count(char* w, const char* limit, const char* d, unsigned nd, std::uint64_t add,
                       unsigned& nd_out) {
  if (add == 0 || (add <= 9 && nd <= 8)) {
    if (static_cast<std::size_t>(limit - w) < nd) return nullptr;
    std::memcpy(w, d, nd);
    if (add == 0 || add_in_place(w + nd, nd, add)) return nd_out = nd, w + nd;
  }
  char buf[20];
  nd_out = print_sum(d + nd, nd, add, buf);
  if (static_cast<std::size_t>(limit - w) < nd_out) return nullptr;
  std::memcpy(w, buf, nd_out);
  return w + nd_out;
}

// Scratch of the decoder, reused from block to block (no allocation per record once warm).
struct bucket_scratch {
  std::vector<std::uint32_t> idx, end, from;
  std::vector<std::uint8_t> dig;
  std::vector<std::uint64_t> cnt;
};

// The text after the head when the bucket set is the previous one (op 0) and the old text fits:
// copied whole, then the changed counts updated in place (see the top of this file). `t` is
// where the buckets start in the output; returns the end of the text, nullptr on a malformed C
// or output overflow.
inline char* same_set(field_state& st, const char* bm, const char*& c, const char* c_end, char* t,
                      const char* limit) {
  const char* const src = st.btext.data();
  const std::size_t old_len = st.btext.size(), n = st.bend.size();
  if (old_len) std::memcpy(t, src, old_len);
  std::uint32_t* const bend = st.bend.data();
  std::uint8_t* const bdig = st.bdig.data();
  std::uint64_t* const bcnt = st.bcnt.data();
  std::ptrdiff_t shift = 0;  // bytes the text after the last changed bucket moved
  std::size_t fixed = 0;     // buckets before this one have their new end in bend
  char* w = nullptr;         // once shifted: the end of the text written so far
  const char* r = nullptr;   // and the old text copied up to there
  for (std::size_t byte = 0; byte < (n + 7) / 8; byte += 8) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, bm + byte, std::min<std::size_t>(8, (n + 7) / 8 - byte));
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
    for (; bits; bits &= bits - 1) {
      const std::size_t i = byte * 8 + static_cast<std::size_t>(std::countr_zero(bits));
      std::uint64_t add = 0;
      if (!next_varint(c, c_end, add)) return nullptr;
      ++add;
      bcnt[i] += add;
      if (w == nullptr) [[likely]] {
        if (add_in_place(t + bend[i], bdig[i], add)) [[likely]]
          continue;
        // From here on the text is written at w and read from the old text at r.
        w = t + bend[i] - bdig[i];
        r = src + bend[i] - bdig[i];
      } else {
        for (; fixed < i; ++fixed) bend[fixed] = static_cast<std::uint32_t>(bend[fixed] + shift);
        const auto piece = static_cast<std::size_t>(src + bend[i] - bdig[i] - r);
        if (static_cast<std::size_t>(limit - w) < piece) return nullptr;
        std::memcpy(w, r, piece);
        w += piece;
        r += piece;
      }
      unsigned nd = 0;
      w = put_count(w, limit, r, bdig[i], add, nd);
      if (w == nullptr) return nullptr;
      r += bdig[i];
      shift += static_cast<std::ptrdiff_t>(nd) - bdig[i];
      bend[i] = static_cast<std::uint32_t>(w - t);
      bdig[i] = static_cast<std::uint8_t>(nd);
      fixed = i + 1;
    }
  }
  if (w == nullptr) return t + old_len;
  const auto rest = static_cast<std::size_t>(src + old_len - r);
  if (static_cast<std::size_t>(limit - w) < rest) return nullptr;
  std::memcpy(w, r, rest);
  for (; fixed < n; ++fixed) bend[fixed] = static_cast<std::uint32_t>(bend[fixed] + shift);
  return w + rest;
}

// Ops 1 and 2: the new bucket list (indices, and each bucket's place in the old list or
// no_bucket) from B into s.idx and s.from; false when malformed.
inline bool make_set(const field_state& st, col_reader& B, std::uint8_t op, std::size_t room,
                     bucket_scratch& s) {
  const auto& was = st.bidx;
  auto& idx = s.idx;
  auto& from = s.from;
  idx.clear();
  from.clear();
  const auto n = B.varint();
  // Each bucket takes at least 4 bytes of text (" i:c"): a bound before allocating.
  if (!B.ok() || n > room / 4) return false;
  std::uint64_t next = 0;
  std::size_t j = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto x = next + B.varint();
    if (!B.ok() || x < next || x > 0xFFFFFFFFu) return false;
    next = x + 1;
    if (op == 1)
      for (; j < was.size() && was[j] < x; ++j) {
        idx.push_back(was[j]);
        from.push_back(static_cast<std::uint32_t>(j));
      }
    idx.push_back(static_cast<std::uint32_t>(x));
    from.push_back(no_bucket);
  }
  if (op == 1)
    for (; j < was.size(); ++j) {
      idx.push_back(was[j]);
      from.push_back(static_cast<std::uint32_t>(j));
    }
  for (std::size_t i = 1; i < idx.size(); ++i)
    if (idx[i] <= idx[i - 1]) return false;  // an "added" index that was there
  // Op 2 (a new set): buckets that were there keep their counts (a merge with the old list).
  for (std::size_t i = 0, k = 0; op == 2 && i < idx.size(); ++i) {
    while (k < was.size() && was[k] < idx[i]) ++k;
    if (k < was.size() && was[k] == idx[i]) from[i] = static_cast<std::uint32_t>(k);
  }
  return true;
}

// The text after the head for the list in s.idx and s.from: each bucket's old text updated, or
// printed anew; every write checked exactly. Returns the end of the text (nullptr: malformed).
inline char* write_set(field_state& st, const char* bm, const char*& c, const char* c_end, char* t,
                       const char* limit, bucket_scratch& s) {
  const auto& idx = s.idx;
  const auto& from = s.from;
  const char* const src = st.btext.data();
  auto& end = s.end;
  auto& dig = s.dig;
  auto& cnt = s.cnt;
  end.resize(idx.size());
  dig.resize(idx.size());
  cnt.resize(idx.size());
  char* w = t;
  for (std::size_t i = 0; i < idx.size(); ++i) {
    std::uint64_t add = 0;
    if (static_cast<std::uint8_t>(bm[i / 8]) >> (i % 8) & 1) {
      if (!next_varint(c, c_end, add)) return nullptr;
      ++add;
    }
    unsigned nd = 0;
    cnt[i] = (from[i] != no_bucket ? st.bcnt[from[i]] : 0) + add;
    if (from[i] != no_bucket) {
      const auto j = from[i];
      const char* const a = src + (j ? st.bend[j - 1] : 0);
      const auto pre = static_cast<std::size_t>(src + st.bend[j] - st.bdig[j] - a);  // " index:"
      if (static_cast<std::size_t>(limit - w) < pre) return nullptr;
      std::memcpy(w, a, pre);
      w = put_count(w + pre, limit, a + pre, st.bdig[j], add, nd);
      if (w == nullptr) return nullptr;
    } else {
      char head[12];
      head[0] = ' ';
      char* q = std::to_chars(head + 1, head + 11, idx[i]).ptr;
      *q++ = ':';
      const auto hl = static_cast<std::size_t>(q - head);
      if (static_cast<std::size_t>(limit - w) < hl) return nullptr;
      std::memcpy(w, head, hl);
      w += hl;
      char buf[20];
      nd = static_cast<unsigned>(std::to_chars(buf, buf + 20, add).ptr - buf);
      if (static_cast<std::size_t>(limit - w) < nd) return nullptr;
      std::memcpy(w, buf, nd);
      w += nd;
    }
    end[i] = static_cast<std::uint32_t>(w - t);
    dig[i] = static_cast<std::uint8_t>(nd);
  }
  st.bidx.swap(s.idx);
  st.bend.swap(end);
  st.bdig.swap(dig);
  st.bcnt.swap(cnt);
  return w;
}

// Rebuilds bucket text from B, M and C (read at `c`, up to `c_end`) against `st` and writes it
// as a `str` (length, then text); `body` is the text in the output. False on any inconsistency.
inline bool get_buckets(col_reader& B, col_reader& M, const char*& c, const char* c_end,
                        field_state& st, bucket_scratch& s, out_cursor& o, std::string_view& body) {
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
  const auto op = static_cast<std::uint8_t>(flags >> 1);
  const std::size_t room = o.cap - o.pos;
  if (op != 0 && !make_set(st, B, op, room, s)) return false;
  const std::size_t n = op == 0 ? st.bidx.size() : s.idx.size();
  const auto bm = M.bytes((n + 7) / 8);
  if (!M.ok()) return false;
  // Padding bits of the bitmap must be 0 (one encoding per text; no change past the last bucket).
  if (n % 8 && static_cast<std::uint8_t>(bm.back()) >> (n % 8)) return false;
  // The text goes after its length, whose size is guessed from the previous text's (a varint's
  // size changes only at 128, 16 Ki, ... bytes) and corrected by a move when wrong. A guess one
  // byte too long must not refuse a text that ends exactly at the block's end: the output buffer
  // has slack (decode_columns), and writes may go guess - 1 bytes past `cap` before the move.
  const std::size_t guess = varint_size(head.size() + st.btext.size());
  if (room < 1 + head.size()) return false;
  char* const t0 = reinterpret_cast<char*>(o.base + o.pos + guess);
  const char* const limit = reinterpret_cast<const char*>(o.base + o.cap + (guess - 1));
  std::memmove(t0, head.data(), head.size());  // may be the previous head, earlier in the output
  char* const t = t0 + head.size();
  char* e = nullptr;
  if (op == 0 && st.btext.size() <= static_cast<std::size_t>(limit - t)) {
    e = same_set(st, bm.data(), c, c_end, t, limit);
  } else {
    if (op == 0) {
      s.idx = st.bidx;
      s.from.resize(n);
      for (std::size_t i = 0; i < n; ++i) s.from[i] = static_cast<std::uint32_t>(i);
    }
    e = write_set(st, bm.data(), c, c_end, t, limit, s);
  }
  if (e == nullptr) return false;
  const auto len = static_cast<std::size_t>(e - t0);
  const auto k = varint_size(len);
  if (room < k + len) return false;
  if (k != guess) std::memmove(o.base + o.pos + k, t0, len);
  if (!o.put_varint(len)) return false;
  const auto start = o.pos;
  o.pos += len;
  body = o.since(start);
  st.head = body.substr(0, head.size());
  st.btext = body.substr(head.size());
  st.has_head = true;
  return true;
}

}  // namespace introspect::inline v1::store::detail::columns
