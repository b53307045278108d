#pragma once
// The columnar block codec of compressed segments (docs/format.md, "Compressed sealed segments").
// A block of whole, valid frames becomes columns in which a metric sample costs a few bytes:
// each record names its series (kind, flags and the payload's prefix up to the value: version,
// severity, type, source and name, interned per block), its timestamp is a delta-of-delta within
// the series, an integer value a delta, a real value the XOR with the series' previous one
// (Gorilla), and the rest of the payload (fields) a "same as before" bit or its bytes. The frame
// CRC is not stored: it is a function of the bytes and is recomputed, so decoding gives back the
// segment's bytes exactly. This file holds the layout and the encoder; the decoder, which treats
// its input as hostile, is columns_decode.hpp (included at the end, so that including this file
// gives both).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/store/detail/frame_fields.hpp>
#include <introspect/store/detail/histogram_fields.hpp>
#include <introspect/store/frame.hpp>

namespace introspect::inline v1::store::detail {

// Version 1: format 1.2 (block codecs 1 and 2); version 2: format 1.3 (block codecs 3 and 4),
// which adds the fields columns (frame_fields.hpp) and the value mode "none"; version 3: format
// 1.4 (block codec 5: each column stored or zstd on its own), which adds decimal reals; version
// 4: format 1.5 (block codec 6, codec 5's layout), which adds derived histogram fields.
inline constexpr std::uint8_t columns_version = 4;

namespace columns {

enum vmode : std::uint8_t {
  in_rest = 0,
  integer = 1,
  real = 2,
  none = 3,            // version 2: the value is tag 00
  derived = 0x04,      // version 4, with integer and fields: histogram_fields.hpp
  decimal = 0x08,      // version 3, with real: i / 10^k (V holds k), as the delta of i
  real_int = 0x10,     // version 2, with real: an integral double, as the delta of its integer
  same_schema = 0x20,  // version 2, with fields: the series' field keys and tags as before
  fields = 0x40,       // version 2: the rest is the field list, encoded per field
  same_rest = 0x80,
};

struct series {
  std::uint8_t kind = 0, flags = 0;
  bool parsed = false;
  std::string_view prefix;  // into the block being encoded, or into column D being decoded
  std::int64_t prev_ts = 0, prev_delta = 0;
  std::uint64_t prev_int = 0, prev_bits = 0, prev_real_int = 0;
  std::string_view prev_rest;  // into the block being encoded or decoded
  bool has_rest = false;
  series_fields sf;
};

// Bytes of the payload up to its value tag (version..name), or 0 when it does not parse.
inline std::size_t prefix_length(std::string_view p) noexcept {
  if (p.size() < 4) return 0;
  codec::byte_reader r(p.substr(4));
  (void)r.str();
  (void)r.str();
  if (!r.ok()) return 0;
  const auto left = r.bytes(0).data();  // current position (bytes(0) never fails here)
  return static_cast<std::size_t>(left - p.data());
}

inline constexpr double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
inline constexpr int max_decimals = 15;

// Version 3: a real that is i / 10^k exactly (IEEE division of two exact values is correctly
// rounded, so the decoder's i / 10^k gives back these bits), k in 1..15 and |i| <= 2^53:
// ratios and percentages written with a few decimals, whose XOR form takes 5-7 bytes.
inline bool as_decimal(double d, std::uint64_t bits, int& k, std::int64_t& i) {
  for (k = 1; k <= max_decimals; ++k) {
    const double x = d * pow10[k];
    if (!(x >= -9007199254740992.0 && x <= 9007199254740992.0)) return false;  // NaN too
    i = static_cast<std::int64_t>(x < 0 ? x - 0.5 : x + 0.5);
    if (std::bit_cast<std::uint64_t>(static_cast<double>(i) / pow10[k]) == bits) return true;
  }
  return false;
}

inline void put_xor(std::string& out, std::uint64_t x) {
  if (x == 0) return out.push_back(static_cast<char>(0x88));
  const int lz = std::countl_zero(x) / 8, tz = std::countr_zero(x) / 8;
  out.push_back(static_cast<char>(lz << 4 | tz));
  for (int i = tz; i < 8 - lz; ++i) out.push_back(static_cast<char>(x >> (8 * i)));
}

template <class Reader>
inline bool get_xor(Reader& r, std::uint64_t& x) {
  const auto h = r.u8();
  if (h == 0x88) return x = 0, r.ok();
  const int lz = h >> 4, tz = h & 15;
  if (lz + tz >= 8) return false;
  x = 0;
  for (int i = tz; i < 8 - lz; ++i) x |= std::uint64_t{r.u8()} << (8 * i);
  return r.ok();
}

inline void put_str(std::string& out, std::string_view s) {
  codec::put_varint(out, s.size());
  out.append(s);
}

// Encodes the parsed fields `pf` of series `s` (version 2) into K, F, B, C and R. With `value`
// (version 4, the record's integer value), a histogram snapshot whose value, count and
// percentiles its buckets determine leaves them out and sets `derived` (histogram_fields.hpp).
inline bool encode_fields(series_fields& sf, const std::vector<parsed_field>& pf, field_columns& c,
                          std::string& R, std::string& sch, std::vector<bucket>& bk,
                          const std::int64_t* value, bool& derived) {
  sch.clear();
  codec::put_varint(sch, pf.size());
  for (const auto& f : pf) {
    put_str(sch, f.key);
    sch.push_back(static_cast<char>(f.tag));
  }
  const bool same = sf.known && sch == sf.schema;
  if (!same) {
    c.K.append(sch);
    sf.schema = sch;
    sf.known = true;
    sf.histogram = sch == histogram_schema();
    sf.prev_resid = 0;
    sf.f.assign(pf.size(), {});
  }
  derived = false;
  std::string_view head;
  if (value && sf.histogram) {
    auto& st = sf.f[7];
    thread_local std::vector<std::uint32_t> idx;
    thread_local std::vector<std::uint64_t> cnt;
    derived = !(st.has_str && pf[7].body == st.prev_str) && parse_buckets(pf[7].body, head, bk) &&
              histogram_derivable(pf, *value, head, bk, idx, cnt);
    if (derived) {  // the sum as the change of its difference to the buckets' estimate
      codec::byte_reader r(pf[1].body);
      std::uint64_t total = 0;
      const auto resid = static_cast<std::uint64_t>(codec::unzigzag(r.varint())) -
                         sum_estimate(idx.data(), cnt.data(), idx.size(), total);
      codec::put_varint(c.F, codec::zigzag(static_cast<std::int64_t>(resid - sf.prev_resid)));
      sf.prev_resid = resid;
    }
  }
  for (std::size_t i = 0; i < pf.size(); ++i) {
    auto& st = sf.f[i];
    const auto& f = pf[i];
    // Derived: count (0) and the percentiles (4-6) are left out, the sum (1) written above, the
    // bucket text is always
    // bucket columns (no sub-mode byte); every field's state moves on as usual.
    const bool left_out = derived && (i <= 1 || (i >= 4 && i <= 6));
    switch (f.tag) {
      case 1: {
        codec::byte_reader r(f.body);
        const auto v = codec::unzigzag(r.varint());
        if (!left_out)
          codec::put_varint(
              c.F, codec::zigzag(static_cast<std::int64_t>(
                       static_cast<std::uint64_t>(v) - static_cast<std::uint64_t>(st.prev_int))));
        st.prev_int = v;
        break;
      }
      case 2: {
        const auto bits = load<std::uint64_t>(reinterpret_cast<const std::byte*>(f.body.data()));
        put_xor(c.F, bits ^ st.prev_bits);
        st.prev_bits = bits;
        break;
      }
      case 3:
        c.F.push_back(f.body[0]);
        break;
      case 4: {
        if (derived) {
          put_buckets(c.B, c.M, c.C, st, head, bk);
        } else if (st.has_str && f.body == st.prev_str) {
          c.F.push_back('\0');
        } else if (parse_buckets(f.body, head, bk)) {
          c.F.push_back('\2');
          put_buckets(c.B, c.M, c.C, st, head, bk);
        } else {
          c.F.push_back('\1');
          put_str(R, f.body);
        }
        st.prev_str = f.body;
        st.has_str = true;
        break;
      }
      default:
        break;
    }
  }
  return same;
}

}  // namespace columns

// Encodes `frames` (whole frames back to back) into `out` as columns version `version` (1 is
// what format 1.2 wrote; kept so tests can make such blocks); false when some frame is not
// valid (the caller then keeps the block as it is).
inline bool encode_columns(std::span<const std::byte> frames, std::string& out,
                           std::uint8_t version = columns_version) {
  using namespace columns;
  std::string S, D, T, V, R, sch;
  field_columns fc;
  std::vector<series> ser;
  std::vector<parsed_field> pf;
  std::vector<bucket> bk;
  std::unordered_map<std::string, std::uint32_t> ids;
  std::string key, enc;
  std::int64_t last_ts = 0;
  std::uint64_t n = 0;
  const bool v2 = version >= 2, v3 = version >= 3, v4 = version >= 4;
  for (std::size_t pos = 0; pos < frames.size(); ++n) {
    if (frames.size() - pos < frame_header_size) return false;
    auto h = decode_frame_header(frames.data() + pos);
    if (!plausible(h) || frames.size() - pos - frame_header_size < h.length) return false;
    if (check_frame(frames.data() + pos, frame_header_size + h.length, h) != frame_check::ok)
      return false;
    std::string_view p(reinterpret_cast<const char*>(frames.data() + pos + frame_header_size),
                       h.length);
    pos += frame_header_size + h.length;
    const auto pl = prefix_length(p);
    key.assign({static_cast<char>(h.kind), static_cast<char>(h.flags), pl ? '\1' : '\0'});
    key.append(p.substr(0, pl));
    auto [it, fresh] = ids.try_emplace(key, static_cast<std::uint32_t>(ser.size()));
    codec::put_varint(S, it->second);
    if (fresh) {
      ser.push_back(
          {h.kind, h.flags, pl != 0, p.substr(0, pl), last_ts, 0, 0, 0, 0, {}, false, {}});
      D.append(key, 0, 3);
      if (pl) put_str(D, p.substr(0, pl));
    }
    auto& s = ser[it->second];
    const auto delta = static_cast<std::int64_t>(static_cast<std::uint64_t>(h.ts_ns) -
                                                 static_cast<std::uint64_t>(s.prev_ts));
    codec::put_varint(
        T, codec::zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(delta) -
                                                   static_cast<std::uint64_t>(s.prev_delta))));
    s.prev_ts = last_ts = h.ts_ns;
    s.prev_delta = delta;
    if (!s.parsed) {
      put_str(R, p);
      continue;
    }
    auto rest = p.substr(pl);
    std::uint8_t mode = in_rest;
    char decimals = 0;
    std::int64_t di = 0;
    if (rest.size() >= 2 && rest[0] == '\1') {
      codec::byte_reader r(rest.substr(1));
      const auto z = r.varint();
      enc.clear();
      codec::put_varint(enc, z);
      const auto zlen = enc.size();
      if (r.ok() && rest.substr(1, zlen) == enc) {  // canonical: re-encodes to the same bytes
        mode = integer;
        enc.clear();
        // Version 2: the delta of the integer itself (version 1: of its zigzag, a bit more).
        const auto v = v2 ? static_cast<std::uint64_t>(codec::unzigzag(z)) : z;
        codec::put_varint(
            enc, v2 ? codec::zigzag(static_cast<std::int64_t>(v - s.prev_int)) : v - s.prev_int);
        s.prev_int = v;
        rest.remove_prefix(1 + zlen);
      }
    } else if (rest.size() >= 9 && rest[0] == '\2') {
      mode = real;
      const auto bits = load<std::uint64_t>(reinterpret_cast<const std::byte*>(rest.data() + 1));
      enc.clear();
      const auto d = std::bit_cast<double>(bits);
      // Gauges that count things (bytes, items) are integral doubles: their integer deltas
      // are a byte or two where the XOR of the bit patterns takes three to six.
      if (v2 && d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
          std::bit_cast<std::uint64_t>(static_cast<double>(static_cast<std::int64_t>(d))) == bits) {
        const auto iv = static_cast<std::uint64_t>(static_cast<std::int64_t>(d));
        mode |= real_int;
        codec::put_varint(enc, codec::zigzag(static_cast<std::int64_t>(iv - s.prev_real_int)));
        s.prev_real_int = iv;
      } else if (int k = 0; v3 && as_decimal(d, bits, k, di)) {
        mode |= decimal;
        decimals = static_cast<char>(k);
        const auto iv = static_cast<std::uint64_t>(di);
        codec::put_varint(enc, codec::zigzag(static_cast<std::int64_t>(iv - s.prev_real_int)));
        s.prev_real_int = iv;
      } else {
        put_xor(enc, bits ^ s.prev_bits);
      }
      s.prev_bits = bits;
      rest.remove_prefix(9);
    } else if (v2 && !rest.empty() && rest[0] == '\0') {
      mode = none;
      rest.remove_prefix(1);
    }
    const bool same = s.has_rest && rest == s.prev_rest;
    const bool split = !same && v2 && parse_fields(rest, pf);
    const auto value = static_cast<std::int64_t>(s.prev_int);
    bool der = false;
    if (split &&
        encode_fields(s.sf, pf, fc, R, sch, bk, v4 && mode == integer ? &value : nullptr, der))
      mode |= same_schema;
    if (der) mode |= derived;
    V.push_back(static_cast<char>(mode | (same ? same_rest : 0) | (split ? fields : 0)));
    if (mode & decimal) V.push_back(decimals);
    if (((mode & 3) == integer && !der) || (mode & 3) == real) (v2 ? fc.N : V).append(enc);
    if (!same && !split) put_str(R, rest);
    s.prev_rest = rest;
    s.has_rest = true;
  }
  out.clear();
  out.push_back(static_cast<char>(version));
  codec::put_varint(out, n);
  for (const auto* c : {&S, &D, &T, &V, &R}) put_str(out, *c);
  if (v2)
    for (const auto* c : {&fc.K, &fc.F, &fc.B, &fc.C, &fc.N, &fc.M}) put_str(out, *c);
  return true;
}

}  // namespace introspect::inline v1::store::detail

// The decoder (decode_columns), with the declarations above.
#include <introspect/store/detail/columns_decode.hpp>
