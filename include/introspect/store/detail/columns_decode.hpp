#pragma once
// The decoder of the columnar block codec (docs/format.md, "Columns codec"; the encoder and the
// layout are in frame_columns.hpp): a block back to its frames, byte for byte. It treats its
// input as hostile: every read is bounds-checked and any inconsistency makes the whole block
// undecodable (never a wrong frame). It is what every scan of a compacted segment runs, so the
// common cases are inlined (column_reader.hpp) and a histogram's bucket text is updated in place
// (bucket_columns.hpp).
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/store/detail/bucket_columns.hpp>
#include <introspect/store/detail/column_reader.hpp>
#include <introspect/store/detail/frame_columns.hpp>
#include <introspect/store/detail/frame_fields.hpp>
#include <introspect/store/frame.hpp>

namespace introspect::inline v1::store::detail {

namespace columns {

// The series' field schema: from K unless `same` (then the one it has). False when malformed.
inline bool read_schema(series_fields& sf, bool same, col_reader& K, const out_cursor& o) {
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
    sf.histogram = is_histogram_schema(sf.keys);
    sf.prev_resid = 0;
    sf.f.assign(sf.keys.size(), {});
  } else if (!sf.known) {
    return false;
  }
  return true;
}

// Decodes the fields of a record in fields mode (version 2) into `o`.
inline bool decode_fields(series_fields& sf, bool same, col_reader& K, col_reader& F, col_reader& B,
                          col_reader& M, const char*& c, const char* c_end, col_reader& R,
                          bucket_scratch& scratch, out_cursor& o) {
  if (!read_schema(sf, same, K, o)) return false;
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

// The value mode bytes each columns version can write (one load per record instead of a
// chain of tests): known bits only (version 1: in_rest, integer, real, same_rest), real_int only
// with real, same_schema only with fields, and fields never with same_rest.
// Version 3 adds decimal, only with real and never with real_int; version 4 derived, only with
// integer and fields.
struct mode_table {
  bool ok[4][256] = {};
};
constexpr mode_table make_mode_table() {
  using namespace columns;
  mode_table t;
  for (int v = 1; v <= 4; ++v)
    for (int m = 0; m < 256; ++m)
      t.ok[v - 1][m] = !(m & ~(v >= 4   ? 0xFF
                               : v == 3 ? 0xFB
                               : v == 2 ? 0xF3
                                        : 0x83)) &&
                       !((m & derived) && ((m & 3) != integer || !(m & fields))) &&
                       !(v == 1 && (m & 3) == none) && !((m & real_int) && (m & 3) != real) &&
                       !((m & decimal) && ((m & 3) != real || (m & real_int))) &&
                       !((m & same_schema) && !(m & fields)) && !((m & fields) && (m & same_rest));
  return t;
}
inline constexpr mode_table valid_modes = make_mode_table();

// Decodes a block into exactly `raw_len` bytes of frames at the start of `out` (grown when too
// small, never shrunk: a reused buffer is not cleared again); false when the input is malformed,
// is not columns version `version`, or does not give back exactly `raw_len` bytes. `crcs` false
// leaves the frames' CRC fields 0 for a caller that never looks at them (the reader's cursors),
// which saves a third of the work.
// The columns of a block, in their order (version 1 has the first 5).
inline constexpr std::size_t column_count = 11;

inline bool decode_column_set(std::uint8_t version, std::uint64_t n,
                              const std::string_view (&col)[column_count], std::size_t raw_len,
                              std::vector<std::byte>& out, bool crcs);

inline bool decode_columns(std::string_view in, std::size_t raw_len, std::vector<std::byte>& out,
                           bool crcs = true, std::uint8_t version = columns_version) {
  columns::col_reader top(in);
  if (top.u8() != version || version < 1 || version > columns_version) return false;
  const auto n = top.varint();
  std::string_view col[column_count];
  for (std::size_t i = 0; i < (version >= 2 ? column_count : 5); ++i) col[i] = top.str();
  if (!top.ok() || !top.at_end()) return false;
  return decode_column_set(version, n, col, raw_len, out, crcs);
}

// Decodes `n` records from the columns `col` (S D T V R K F B C N M) of columns version
// `version` (the columns of a codec-5 block are decompressed one by one, then given here).
inline bool decode_column_set(std::uint8_t version, std::uint64_t n,
                              const std::string_view (&col)[column_count], std::size_t raw_len,
                              std::vector<std::byte>& out, bool crcs) {
  using namespace columns;
  if (version < 1 || version > columns_version) return false;
  const bool v2 = version >= 2;
  col_reader S(col[0]), D(col[1]), T(col[2]), V(col[3]), R(col[4]);
  col_reader K(col[5]), F(col[6]), B(col[7]);
  const std::string_view Cs = col[8];
  col_reader N(col[9]), M(col[10]);
  const char* c = Cs.data();  // the bucket count changes (read in bucket_columns.hpp)
  const char* const c_end = c + Cs.size();
  auto& Vn = v2 ? N : V;  // the values' numbers (version 1: after each mode byte in V)
  if (n > raw_len / frame_header_size) return false;
  // Slack after raw_len: bucket text may be written up to 9 bytes past it before it is moved to
  // its place (bucket_columns.hpp), and a derived histogram's histogram_gap bytes further on.
  if (out.size() < raw_len + 16 + histogram_gap) out.resize(raw_len + 16 + histogram_gap);
  // Reused per thread: a steady reader allocates nothing per record once warmed up.
  thread_local std::vector<series> ser;
  thread_local bucket_scratch scratch;
  ser.clear();
  out_cursor o{out.data(), 0, raw_len};
  std::int64_t last_ts = 0;
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
      if (!V.ok() || !valid_modes.ok[version - 1][mode]) return false;
      if (!o.put(s.prefix)) return false;
      if (mode & derived) [[unlikely]] {
        std::size_t rest_at = 0;
        if (!read_schema(s.sf, mode & same_schema, K, o) ||
            !decode_histogram(s.sf, s.prev_int, F, B, M, c, c_end, scratch, o, rest_at) || !V.ok())
          return false;
        s.prev_rest = o.since(rest_at);
        s.has_rest = true;
      } else {
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
          } else if (mode & decimal) {
            const auto k = V.u8();
            if (k < 1 || k > max_decimals) return false;
            s.prev_real_int += static_cast<std::uint64_t>(codec::unzigzag(Vn.varint()));
            s.prev_bits = std::bit_cast<std::uint64_t>(
                static_cast<double>(static_cast<std::int64_t>(s.prev_real_int)) / pow10[k]);
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
