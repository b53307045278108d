#pragma once
// The columnar block codec of compressed segments (docs/format.md, "Compressed sealed segments").
// A block of whole, valid frames becomes columns in which a metric sample costs a few bytes:
// each record names its series (kind, flags and the payload's prefix up to the value: version,
// severity, type, source and name, interned per block), its timestamp is a delta-of-delta within
// the series, an integer value a delta, a real value the XOR with the series' previous one
// (Gorilla), and the rest of the payload (fields) a "same as before" bit or its bytes. The frame
// CRC is not stored: it is a function of the bytes and is recomputed, so decoding gives back the
// segment's bytes exactly. The decoder treats its input as hostile: every read is bounds-checked
// and any inconsistency makes the whole block undecodable (never a wrong frame).
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
#include <introspect/store/detail/bucket_columns.hpp>
#include <introspect/store/detail/frame_fields.hpp>
#include <introspect/store/frame.hpp>

namespace introspect::inline v1::store::detail {

// Version 1: format 1.2 (block codecs 1 and 2); version 2: format 1.3 (block codecs 3 and 4),
// which adds the fields columns (frame_fields.hpp) and the value mode "none".
inline constexpr std::uint8_t columns_version = 2;

namespace columns {

enum vmode : std::uint8_t {
  in_rest = 0,
  integer = 1,
  real = 2,
  none = 3,            // version 2: the value is tag 00
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

inline void put_xor(std::string& out, std::uint64_t x) {
  if (x == 0) return out.push_back(static_cast<char>(0x88));
  const int lz = std::countl_zero(x) / 8, tz = std::countr_zero(x) / 8;
  out.push_back(static_cast<char>(lz << 4 | tz));
  for (int i = tz; i < 8 - lz; ++i) out.push_back(static_cast<char>(x >> (8 * i)));
}

inline bool get_xor(codec::byte_reader& r, std::uint64_t& x) {
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

// Encodes the parsed fields `pf` of series `s` (version 2) into K, F, B, C and R.
inline bool encode_fields(series_fields& sf, const std::vector<parsed_field>& pf, field_columns& c,
                          std::string& R, std::string& sch, std::vector<bucket>& bk) {
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
    sf.f.assign(pf.size(), {});
  }
  for (std::size_t i = 0; i < pf.size(); ++i) {
    auto& st = sf.f[i];
    const auto& f = pf[i];
    switch (f.tag) {
      case 1: {
        codec::byte_reader r(f.body);
        const auto v = codec::unzigzag(r.varint());
        codec::put_varint(
            c.F, codec::zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(v) -
                                                         static_cast<std::uint64_t>(st.prev_int))));
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
        std::string_view head;
        if (st.has_str && f.body == st.prev_str) {
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

// Decodes the fields of a record in fields mode (version 2) into `o`.
inline bool decode_fields(series_fields& sf, bool same, codec::byte_reader& K,
                          codec::byte_reader& F, codec::byte_reader& B, codec::byte_reader& M,
                          const char*& c, const char* c_end, codec::byte_reader& R,
                          bucket_scratch& scratch, out_cursor& o) {
  if (!same) {
    const auto n = K.varint();
    if (!K.ok() || n > (o.cap - o.pos) / 2) return false;  // a field takes >= 2 bytes
    sf.keys.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      field_key k;
      k.key = K.str();
      k.tag = K.u8();
      if (!K.ok() || k.tag > 4) return false;
      sf.keys.push_back(k);
    }
    sf.known = true;
    sf.f.assign(sf.keys.size(), {});
  } else if (!sf.known) {
    return false;
  }
  if (!o.put_varint(sf.keys.size())) return false;
  for (std::size_t i = 0; i < sf.keys.size(); ++i) {
    const auto& k = sf.keys[i];
    auto& st = sf.f[i];
    if (!o.put_varint(k.key.size()) || !o.put(k.key) || !o.put_u8(k.tag)) return false;
    switch (k.tag) {
      case 1: {
        const auto d = F.varint();
        st.prev_int = static_cast<std::int64_t>(static_cast<std::uint64_t>(st.prev_int) +
                                                static_cast<std::uint64_t>(codec::unzigzag(d)));
        if (!o.put_varint(codec::zigzag(st.prev_int))) return false;
        break;
      }
      case 2: {
        std::uint64_t x = 0;
        if (!get_xor(F, x) || o.cap - o.pos < 8) return false;
        st.prev_bits ^= x;
        store_le<std::uint64_t>(o.base + o.pos, st.prev_bits);
        o.pos += 8;
        break;
      }
      case 3:
        if (!o.put_u8(F.u8())) return false;
        break;
      case 4: {
        const auto sub = F.u8();
        std::string_view body;
        if (sub == 0) {
          if (!st.has_str || !o.put_varint(st.prev_str.size())) return false;
          const auto at = o.pos;
          if (!o.put(st.prev_str)) return false;
          body = o.since(at);
        } else if (sub == 1) {
          const auto lit = R.str();
          if (!R.ok() || !o.put_varint(lit.size())) return false;
          const auto at = o.pos;
          if (!o.put(lit)) return false;
          body = o.since(at);
        } else if (sub != 2 || !get_buckets(B, M, c, c_end, st, scratch, o, body)) {
          return false;
        }
        st.prev_str = body;
        st.has_str = true;
        break;
      }
      default:
        break;
    }
    if (!F.ok()) return false;
  }
  return true;
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
  const bool v2 = version >= 2;
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
    if (split && encode_fields(s.sf, pf, fc, R, sch, bk)) mode |= same_schema;
    V.push_back(static_cast<char>(mode | (same ? same_rest : 0) | (split ? fields : 0)));
    if ((mode & 3) == integer || (mode & 3) == real) (v2 ? fc.N : V).append(enc);
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

// Decodes a block into exactly `raw_len` bytes of frames at the start of `out` (grown when too
// small, never shrunk: a reused buffer is not cleared again); false when the input is malformed,
// is not columns version `version`, or does not give back exactly `raw_len` bytes. `crcs` false
// leaves the frames' CRC fields 0 for a caller that never looks at them (the reader's cursors),
// which saves a third of the work.
inline bool decode_columns(std::string_view in, std::size_t raw_len, std::vector<std::byte>& out,
                           bool crcs = true, std::uint8_t version = columns_version) {
  using namespace columns;
  codec::byte_reader top(in);
  if (top.u8() != version || version < 1 || version > columns_version) return false;
  const bool v2 = version >= 2;
  const auto n = top.varint();
  codec::byte_reader S(top.str()), D(top.str()), T(top.str()), V(top.str()), R(top.str());
  codec::byte_reader K(v2 ? top.str() : std::string_view{}), F(v2 ? top.str() : std::string_view{}),
      B(v2 ? top.str() : std::string_view{});
  const std::string_view Cs = v2 ? top.str() : std::string_view{};
  codec::byte_reader N(v2 ? top.str() : std::string_view{}), M(v2 ? top.str() : std::string_view{});
  const char* c = Cs.data();  // the bucket count changes (read in bucket_columns.hpp)
  const char* const c_end = c + Cs.size();
  auto& Vn = v2 ? N : V;  // the values' numbers (version 1: after each mode byte in V)
  if (!top.ok() || !top.at_end() || n > raw_len / frame_header_size) return false;
  if (out.size() < raw_len) out.resize(raw_len);
  // Reused per thread: a steady reader allocates nothing per record once warmed up.
  thread_local std::vector<series> ser;
  thread_local bucket_scratch scratch;
  ser.clear();
  out_cursor o{out.data(), 0, raw_len};
  std::int64_t last_ts = 0;
  const std::uint8_t allowed = v2 ? 0xF3 : 0x83;  // mode bits a version knows
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto id = S.varint();
    if (!S.ok() || id > ser.size()) return false;
    if (id == ser.size()) {
      series s;
      s.kind = D.u8();
      s.flags = D.u8();
      const auto m = D.u8();
      if (m > 1) return false;
      s.parsed = m == 1;
      if (s.parsed) s.prefix = D.str();
      if (!D.ok() || (s.parsed && s.prefix.empty())) return false;
      s.prev_ts = last_ts;
      ser.push_back(std::move(s));
    }
    auto& s = ser[id];
    const auto dod = codec::unzigzag(T.varint());
    const auto delta = static_cast<std::uint64_t>(s.prev_delta) + static_cast<std::uint64_t>(dod);
    const auto ts = static_cast<std::int64_t>(static_cast<std::uint64_t>(s.prev_ts) + delta);
    s.prev_delta = static_cast<std::int64_t>(delta);
    s.prev_ts = last_ts = ts;
    if (!T.ok() || o.cap - o.pos < frame_header_size) return false;
    const auto start = o.pos;
    o.pos += frame_header_size;
    if (!s.parsed) {
      if (!o.put(R.str()) || !R.ok()) return false;
    } else {
      const auto mode = V.u8();
      if (!V.ok() || (mode & ~allowed) || (!v2 && (mode & 3) == none) ||
          ((mode & real_int) && (mode & 3) != real) || ((mode & same_schema) && !(mode & fields)) ||
          ((mode & fields) && (mode & same_rest)))
        return false;
      if (!o.put(s.prefix)) return false;
      if ((mode & 3) == integer) {
        const auto d = Vn.varint();
        s.prev_int += v2 ? static_cast<std::uint64_t>(codec::unzigzag(d)) : d;
        const auto z = v2 ? codec::zigzag(static_cast<std::int64_t>(s.prev_int)) : s.prev_int;
        if (!o.put_u8(1) || !o.put_varint(z)) return false;
      } else if ((mode & 3) == real) {
        if (mode & real_int) {
          s.prev_real_int += static_cast<std::uint64_t>(codec::unzigzag(Vn.varint()));
          s.prev_bits = std::bit_cast<std::uint64_t>(
              static_cast<double>(static_cast<std::int64_t>(s.prev_real_int)));
        } else {
          std::uint64_t x = 0;
          if (!get_xor(Vn, x)) return false;
          s.prev_bits ^= x;
        }
        if (o.cap - o.pos < 9) return false;
        o.base[o.pos] = std::byte{2};
        store_le<std::uint64_t>(o.base + o.pos + 1, s.prev_bits);
        o.pos += 9;
      } else if ((mode & 3) == none) {
        if (!o.put_u8(0)) return false;
      }
      const auto rest_at = o.pos;
      if (mode & same_rest) {
        if (!s.has_rest || !o.put(s.prev_rest)) return false;
      } else if (mode & fields) {
        if (!decode_fields(s.sf, mode & same_schema, K, F, B, M, c, c_end, R, scratch, o))
          return false;
      } else if (!o.put(R.str())) {
        return false;
      }
      if (!V.ok() || !Vn.ok() || !R.ok()) return false;
      s.prev_rest = o.since(rest_at);
      s.has_rest = true;
    }
    const auto len = o.pos - start - frame_header_size;
    if (len > max_payload_bytes) return false;
    if (crcs) {
      encode_frame(out.data() + start, ts, s.kind, s.flags, static_cast<std::uint32_t>(len));
    } else {
      std::byte* h = out.data() + start;
      store_le<std::uint32_t>(h, static_cast<std::uint32_t>(len));
      store_le<std::uint32_t>(h + 4, 0);
      store_le<std::int64_t>(h + 8, ts);
      h[16] = std::byte{s.kind};
      h[17] = std::byte{s.flags};
      store_le<std::uint16_t>(h + 18, 0);
    }
  }
  return o.pos == raw_len && S.at_end() && D.at_end() && T.at_end() && V.at_end() && R.at_end() &&
         K.at_end() && F.at_end() && B.at_end() && c == c_end && N.at_end() && M.at_end();
}

}  // namespace introspect::inline v1::store::detail
