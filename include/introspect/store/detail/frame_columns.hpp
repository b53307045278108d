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
#include <introspect/store/frame.hpp>

namespace introspect::inline v1::store::detail {

inline constexpr std::uint8_t columns_version = 1;

namespace columns {

enum vmode : std::uint8_t { in_rest = 0, integer = 1, real = 2, same_rest = 0x80 };

struct series {
  std::uint8_t kind = 0, flags = 0;
  bool parsed = false;
  std::string prefix;
  std::int64_t prev_ts = 0, prev_delta = 0;
  std::uint64_t prev_int = 0, prev_bits = 0;
  std::string_view prev_rest;  // into the block being encoded or decoded
  bool has_rest = false;
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

}  // namespace columns

// Encodes `frames` (whole frames back to back) into `out`; false when some frame is not valid
// (the caller then keeps the block as it is).
inline bool encode_columns(std::span<const std::byte> frames, std::string& out) {
  using namespace columns;
  std::string S, D, T, V, R;
  std::vector<series> ser;
  std::unordered_map<std::string, std::uint32_t> ids;
  std::string key, enc;
  std::int64_t last_ts = 0;
  std::uint64_t n = 0;
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
          {h.kind, h.flags, pl != 0, std::string(p.substr(0, pl)), last_ts, 0, 0, 0, {}, false});
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
        codec::put_varint(enc, z - s.prev_int);
        s.prev_int = z;
        rest.remove_prefix(1 + zlen);
      }
    } else if (rest.size() >= 9 && rest[0] == '\2') {
      mode = real;
      const auto bits = load<std::uint64_t>(reinterpret_cast<const std::byte*>(rest.data() + 1));
      enc.clear();
      put_xor(enc, bits ^ s.prev_bits);
      s.prev_bits = bits;
      rest.remove_prefix(9);
    }
    const bool same = s.has_rest && rest == s.prev_rest;
    V.push_back(static_cast<char>(mode | (same ? same_rest : 0)));
    if (mode != in_rest) V.append(enc);
    if (!same) {
      put_str(R, rest);
      s.prev_rest = rest;
      s.has_rest = true;
    }
  }
  out.clear();
  out.push_back(static_cast<char>(columns_version));
  codec::put_varint(out, n);
  for (const auto* c : {&S, &D, &T, &V, &R}) put_str(out, *c);
  return true;
}

// Decodes a block into exactly `raw_len` bytes of frames at the start of `out` (grown when too
// small, never shrunk: a reused buffer is not cleared again); false when the input is malformed
// or does not give back exactly `raw_len` bytes. `crcs` false leaves the frames' CRC fields 0
// for a caller that never looks at them (the reader's cursors), which saves a third of the work.
inline bool decode_columns(std::string_view in, std::size_t raw_len, std::vector<std::byte>& out,
                           bool crcs = true) {
  using namespace columns;
  codec::byte_reader top(in);
  if (top.u8() != columns_version) return false;
  const auto n = top.varint();
  codec::byte_reader S(top.str()), D(top.str()), T(top.str()), V(top.str()), R(top.str());
  if (!top.ok() || !top.at_end() || n > raw_len / frame_header_size) return false;
  if (out.size() < raw_len) out.resize(raw_len);
  std::vector<series> ser;
  std::size_t pos = 0;
  std::int64_t last_ts = 0;
  auto put = [&](std::string_view b) {
    if (raw_len - pos < b.size()) return false;
    if (!b.empty()) std::memcpy(out.data() + pos, b.data(), b.size());  // an empty view may be null
    pos += b.size();
    return true;
  };
  char enc[11];
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
      if (s.parsed) s.prefix.assign(D.str());
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
    if (!T.ok() || raw_len - pos < frame_header_size) return false;
    const auto start = pos;
    pos += frame_header_size;
    if (!s.parsed) {
      if (!put(R.str()) || !R.ok()) return false;
    } else {
      const auto mode = V.u8();
      if (!put(s.prefix)) return false;
      if ((mode & 0x7f) == integer) {
        auto z = s.prev_int + V.varint();
        s.prev_int = z;
        std::size_t k = 0;
        enc[k++] = '\1';
        for (; z >= 0x80; z >>= 7) enc[k++] = static_cast<char>(z | 0x80);
        enc[k++] = static_cast<char>(z);
        if (!put({enc, k})) return false;
      } else if ((mode & 0x7f) == real) {
        std::uint64_t x = 0;
        if (!get_xor(V, x)) return false;
        s.prev_bits ^= x;
        enc[0] = '\2';
        for (int b = 0; b < 8; ++b) enc[1 + b] = static_cast<char>(s.prev_bits >> (8 * b));
        if (!put({enc, 9})) return false;
      } else if ((mode & 0x7f) != in_rest) {
        return false;
      }
      if (mode & same_rest) {
        if (!s.has_rest) return false;
      } else {
        s.prev_rest = R.str();
        s.has_rest = true;
      }
      if (!V.ok() || !R.ok() || !put(s.prev_rest)) return false;
    }
    const auto len = pos - start - frame_header_size;
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
  return pos == raw_len && S.at_end() && D.at_end() && T.at_end() && V.at_end() && R.at_end();
}

}  // namespace introspect::inline v1::store::detail
