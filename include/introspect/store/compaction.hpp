#pragma once
//! Compaction of a sealed segment into a compressed segment (format revision 1.5). Crash-safe by
//! construction: the compressed file is written to `<segment>.tmp`, fsynced, then renamed over
//! the segment and the directory fsynced. A crash leaves the raw segment or the compressed one
//! under the segment's name (never both, never neither), plus at worst the temporary file, which
//! the writer removes when it opens the stream. Both forms hold the same bytes for a reader.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/compressed_segment.hpp>
#include <introspect/store/segment.hpp>

namespace introspect::inline v1::store {

//! Tuning of compaction; the defaults are the measured choice (docs/benchmarks.md).
struct compaction_options {
  seal_codec codec = default_seal_codec;
  std::uint32_t block_bytes = 4u << 20;  //!< raw bytes per block (whole frames)
  int zstd_level = 9;
  //! Level for a column of at most `small_column_bytes` (columns version 3): a short store's
  //! columns cost little to compress hard, and there each byte is a larger share.
  int small_column_level = 19;
  std::uint32_t small_column_bytes = 16u << 10;
  //! Columns codec version: 4 (format 1.5, block codec 6); 3 writes format 1.4's blocks (codec
  //! 5), 2 format 1.3's (codecs 3 and 4), 1 format 1.2's (codecs 1 and 2): tests prove old
  //! stores stay readable.
  std::uint8_t columns = detail::columns_version;
};

//! What one compaction did.
struct compaction_result {
  bool compacted = false;  //!< the segment is now stored compressed
  int error = 0;           //!< errno of a failed read/write (the raw segment is kept)
  std::string skipped;     //!< why the segment was left as it is (damage, already compressed)
  std::uint64_t raw_bytes = 0, stored_bytes = 0, records = 0;
};

namespace detail {

// Columns version 3's or 4's layout (as encode_columns writes it) into codec 5's or 6's: each
// column stored, zstd, or zstd against the column dictionary, whichever is smallest. False when
// `cols` is not that layout.
inline bool pack_columns(std::string_view cols, const compaction_options& o, std::string& out) {
  columns::col_reader top(cols);
  out.clear();
  out.push_back(static_cast<char>(top.u8()));
  codec::put_varint(out, top.varint());
  std::string z, best;
  for (std::size_t i = 0; i < column_count; ++i) {
    const auto c = top.str();
    if (!top.ok()) return false;
    auto method = column_method::stored;
    best.assign(c);
    const int level = c.size() <= o.small_column_bytes ? o.small_column_level : o.zstd_level;
    if (o.codec == seal_codec::columns_zstd && c.size() > 8) {
      if (zstd_compress(c, z, level) && z.size() < best.size())
        best.swap(z), method = column_method::zstd;
      // The dictionary holds definitions and schemas: tried on D and K only (on the other
      // columns it saved 0-4 bytes a block, measured, for twice the compression time).
      if ((i == 1 || i == 5) && zstd_compress(c, z, level, columns::column_dictionary()) &&
          z.size() < best.size())
        best.swap(z), method = column_method::zstd_dictionary;
    }
    out.push_back(static_cast<char>(method));
    columns::put_str(out, best);
  }
  return top.at_end();
}

// Encodes one block of whole frames; checks the round trip and falls back to storing it.
inline void put_block(std::vector<std::byte>& raw, const compaction_options& o, std::string& out,
                      std::vector<block_entry>& table) {
  block_entry b;
  b.raw_pos = table.empty() ? segment_header_size : table.back().raw_pos + table.back().raw_len;
  b.file_pos = compressed_header_size + out.size();
  b.raw_len = static_cast<std::uint32_t>(raw.size());
  std::string cols, z, stored, scratch, why;
  std::vector<std::byte> back;
  std::string_view body(reinterpret_cast<const char*>(raw.data()), raw.size());
  b.codec = static_cast<std::uint8_t>(block_codec::stored);
  const bool v1 = o.columns == 1;
  if (o.columns >= 3) {
    if (o.codec != seal_codec::none && encode_columns(raw, cols, o.columns) &&
        pack_columns(cols, o, z) && z.size() < raw.size()) {
      body = z;
      b.codec = static_cast<std::uint8_t>(packed_codec(o.columns));
    }
  } else if (o.codec != seal_codec::none && encode_columns(raw, cols, o.columns) &&
             cols.size() < raw.size()) {
    body = cols;
    b.codec = static_cast<std::uint8_t>(v1 ? block_codec::columns_v1 : block_codec::columns);
    if (o.codec == seal_codec::columns_zstd && zstd_compress(cols, z, o.zstd_level) &&
        z.size() < cols.size()) {
      body = z;
      b.codec =
          static_cast<std::uint8_t>(v1 ? block_codec::columns_v1_zstd : block_codec::columns_zstd);
    }
  }
  b.stored_len = static_cast<std::uint32_t>(body.size());
  b.crc = crc32c(reinterpret_cast<const std::byte*>(body.data()), body.size());
  // The decoder is the one readers use: a block it does not give back exactly is kept stored.
  if (b.codec != 0) {
    out.append(body);
    const bool ok = [&] {
      const std::string_view s(out.data() + (b.file_pos - compressed_header_size), body.size());
      if (b.codec == static_cast<std::uint8_t>(block_codec::columns_v3) ||
          b.codec == static_cast<std::uint8_t>(block_codec::columns_v4))
        return decode_packed_columns(s, b.raw_len, back, true, scratch, why, o.columns);
      if (b.codec == static_cast<std::uint8_t>(block_codec::columns_zstd) ||
          b.codec == static_cast<std::uint8_t>(block_codec::columns_v1_zstd))
        return zstd_decompress(s, scratch, 2 * max_block_raw) &&
               decode_columns(scratch, b.raw_len, back, true, o.columns);
      return decode_columns(s, b.raw_len, back, true, o.columns);
    }();
    out.resize(b.file_pos - compressed_header_size);
    if (!ok || back.size() < raw.size() || std::memcmp(back.data(), raw.data(), raw.size()) != 0) {
      body = {reinterpret_cast<const char*>(raw.data()), raw.size()};
      b.codec = 0;
      b.stored_len = b.raw_len;
      b.crc = crc32c(raw.data(), raw.size());
    }
  }
  out.append(body);
  table.push_back(b);
  raw.clear();
}

}  // namespace detail

//! Skipped-reason of a compaction given up because `cancel` was set.
inline constexpr std::string_view compaction_cancelled = "cancelled";

//! Rewrites the sealed segment `log` (first offset `first`) compressed. Leaves it as it is when
//! it holds damage, a torn tail or a bad header (the evidence stays for verify), is already
//! compressed, or compression would not save space. `cancel`, when set by another thread, gives
//! up between blocks (before anything is written), so that a stop waits for one block at most.
inline compaction_result compact_segment(const std::filesystem::path& log, offset_t first,
                                         const compaction_options& o = {},
                                         const std::atomic<bool>* cancel = nullptr) {
  namespace d = detail;
  compaction_result r;
  if (o.codec == seal_codec::none) return r.skipped = "compression off", r;
  d::segment_scanner sc;
  if (!sc.open(log, first)) return r.error = sc.error(), r;
  if (sc.compressed()) return r.skipped = "already compressed", r;
  if (sc.header_status() != d::header_check::ok) return r.skipped = "segment header damaged", r;
  std::string out;
  std::vector<d::block_entry> table;
  std::vector<std::byte> raw;
  d::scanned_frame f;
  damage dm;
  std::uint64_t expect = d::segment_header_size;
  for (;;) {
    const auto s = sc.next(f, dm);
    if (s == d::segment_scanner::step::end) break;
    if (s == d::segment_scanner::step::damage || f.pos != expect)
      return r.skipped = "segment holds damage", r;
    if (!raw.empty() && raw.size() + f.size() > o.block_bytes) {
      if (cancel && cancel->load(std::memory_order_relaxed))
        return r.skipped = compaction_cancelled, r;
      d::put_block(raw, o, out, table);
    }
    const auto* bytes = f.payload - d::frame_header_size;
    raw.insert(raw.end(), bytes, bytes + f.size());
    expect = f.pos + f.size();
    ++r.records;
  }
  if (sc.error()) return r.error = sc.error(), r;
  if (sc.tail_bytes() || sc.file_size() != expect) return r.skipped = "segment has a torn tail", r;
  if (cancel && cancel->load(std::memory_order_relaxed)) return r.skipped = compaction_cancelled, r;
  if (!raw.empty()) d::put_block(raw, o, out, table);
  if (cancel && cancel->load(std::memory_order_relaxed)) return r.skipped = compaction_cancelled, r;
  r.raw_bytes = expect;
  std::vector<std::byte> file(d::compressed_header_size + out.size() +
                              table.size() * d::block_entry_size + 4);
  std::byte* h = file.data();
  std::memcpy(h, d::compressed_magic, 8);
  d::store_le<std::uint32_t>(h + 8, 1);
  d::store_le<std::uint32_t>(h + 12, d::compressed_header_size);
  d::store_le<std::uint64_t>(h + 16, first);
  d::store_le<std::uint64_t>(h + 24, expect);
  d::store_le<std::uint64_t>(h + 32, d::compressed_header_size + out.size());
  d::store_le<std::uint32_t>(h + 40, static_cast<std::uint32_t>(table.size()));
  d::store_le<std::uint64_t>(h + 48, r.records);
  d::store_le<std::uint32_t>(h + 60, crc32c(h, 60));
  if (!out.empty()) std::memcpy(h + d::compressed_header_size, out.data(), out.size());
  std::byte* t = h + d::compressed_header_size + out.size();
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::byte* e = t + i * d::block_entry_size;
    d::store_le<std::uint64_t>(e, table[i].raw_pos);
    d::store_le<std::uint64_t>(e + 8, table[i].file_pos);
    d::store_le<std::uint32_t>(e + 16, table[i].raw_len);
    d::store_le<std::uint32_t>(e + 20, table[i].stored_len);
    e[24] = std::byte{table[i].codec};
    d::store_le<std::uint32_t>(e + 28, table[i].crc);
  }
  const std::size_t tlen = table.size() * d::block_entry_size;
  d::store_le<std::uint32_t>(t + tlen, crc32c(t, tlen));
  if (file.size() >= expect) return r.skipped = "compression would not save space", r;
  // Always durable: the raw bytes it replaces are gone after the rename.
  if (int rc = d::atomic_write_file(log, file, true)) return r.error = rc, r;
  r.compacted = true;
  r.stored_bytes = file.size();
  return r;
}

}  // namespace introspect::inline v1::store
