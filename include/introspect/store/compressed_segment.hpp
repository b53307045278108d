#pragma once
//! Compressed sealed segments (format revisions 1.2 to 1.5, docs/format.md): a sealed segment's
//! frames stored as independently decodable blocks (columnar codec, then zstd when built with it)
//! under the segment's own name. Readers see the raw segment's bytes: the scanner decodes blocks on
//! demand, so offsets, file positions, checksums and damage handling stay those of format 1.
#include <sys/stat.h>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <introspect/store/detail/column_dictionary.hpp>
#include <introspect/store/detail/frame_columns.hpp>
#include <introspect/store/detail/zstd.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/options.hpp>

namespace introspect::inline v1::store {

namespace detail {

inline constexpr char compressed_magic[8] = {'I', 'X', 'S', 'T', 'S', 'G', 'Z', '\0'};
inline constexpr std::size_t compressed_header_size = 64;
inline constexpr std::size_t block_entry_size = 32;
inline constexpr std::uint64_t max_block_raw =
    2 * (frame_header_size + std::uint64_t{max_payload_bytes});
// 1 and 2: columns version 1 (format 1.2); 3 and 4: columns version 2 (format 1.3); 5: version
// 3 (1.4); 6: version 4 (1.5), which is what compaction writes now. Readers decode all of them.
enum class block_codec : std::uint8_t {
  stored = 0,
  columns_v1 = 1,
  columns_v1_zstd = 2,
  columns = 3,
  columns_zstd = 4,
  columns_v3 = 5,  // format 1.4: columns version 3, each column stored or zstd on its own
  columns_v4 = 6,  // format 1.5: columns version 4 (derived histogram fields), codec 5's layout
};
inline constexpr std::uint8_t max_block_codec = 6;

// The block codec of a codec-5-layout block of columns version `version` (3 or 4).
inline constexpr block_codec packed_codec(std::uint8_t version) noexcept {
  return version >= 4 ? block_codec::columns_v4 : block_codec::columns_v3;
}

// How a column of a codec-5 block is stored.
enum class column_method : std::uint8_t { stored = 0, zstd = 1, zstd_dictionary = 2 };

//! One block of a compressed segment: raw file positions [raw_pos, raw_pos + raw_len).
struct block_entry {
  std::uint64_t raw_pos = 0, file_pos = 0;
  std::uint32_t raw_len = 0, stored_len = 0;
  std::uint8_t codec = 0;
  std::uint32_t crc = 0;  // CRC32C of the stored bytes
};

//! What a compressed segment's header and block table say (validated).
struct compressed_index {
  std::uint64_t first = 0, logical_size = 0, records = 0;
  std::vector<block_entry> blocks;
  //! The block holding raw position `pos` (blocks.size() when none).
  std::size_t block_of(std::uint64_t pos) const noexcept {
    auto it = std::upper_bound(blocks.begin(), blocks.end(), pos,
                               [](std::uint64_t p, const block_entry& b) { return p < b.raw_pos; });
    if (it == blocks.begin()) return blocks.size();
    --it;
    return pos < it->raw_pos + it->raw_len ? static_cast<std::size_t>(it - blocks.begin())
                                           : blocks.size();
  }
};

inline bool is_compressed_header(const std::byte* p, std::size_t n) noexcept {
  return n >= 8 && std::memcmp(p, compressed_magic, 8) == 0;
}

// Reads and validates header and block table; nullopt with `why` when they cannot be trusted.
// A failed read sets `read_err` (the errno): then nothing is known about the file.
inline std::optional<compressed_index> read_compressed_index(int fd, std::uint64_t file_size,
                                                             std::uint64_t first, std::string& why,
                                                             int& read_err) {
  std::byte h[compressed_header_size];
  read_err = 0;
  if (file_size < compressed_header_size)
    return why = "compressed segment header incomplete", std::nullopt;
  const auto got = pread_full(fd, h, sizeof h, 0);
  if (got < 0) return read_err = errno, why = "read", std::nullopt;
  if (got != static_cast<ssize_t>(sizeof h))
    return why = "compressed segment header incomplete", std::nullopt;
  if (!is_compressed_header(h, sizeof h) || crc32c(h, 60) != load<std::uint32_t>(h + 60))
    return why = "compressed segment header checksum mismatch", std::nullopt;
  if (load<std::uint32_t>(h + 8) != 1 || load<std::uint32_t>(h + 12) != compressed_header_size)
    return why = "unsupported compressed segment version", std::nullopt;
  compressed_index ix;
  ix.first = load<std::uint64_t>(h + 16);
  ix.logical_size = load<std::uint64_t>(h + 24);
  const auto table = load<std::uint64_t>(h + 32);
  const auto n = load<std::uint32_t>(h + 40);
  ix.records = load<std::uint64_t>(h + 48);
  if (ix.first != first)
    return why = "segment header offset does not match file name", std::nullopt;
  if (table < compressed_header_size || table > file_size ||
      (file_size - table) != std::uint64_t{n} * block_entry_size + 4)
    return why = "compressed segment cut or extended (block table not at its place)", std::nullopt;
  std::vector<std::byte> t(static_cast<std::size_t>(file_size - table));
  const auto tgot = pread_full(fd, t.data(), t.size(), table);
  if (tgot < 0) return read_err = errno, why = "read", std::nullopt;
  if (tgot != static_cast<ssize_t>(t.size()))
    return why = "compressed segment block table unreadable", std::nullopt;
  if (crc32c(t.data(), t.size() - 4) != load<std::uint32_t>(t.data() + t.size() - 4))
    return why = "compressed segment block table checksum mismatch", std::nullopt;
  std::uint64_t raw = segment_header_size, file = compressed_header_size;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::byte* e = t.data() + std::size_t{i} * block_entry_size;
    block_entry b{load<std::uint64_t>(e),           load<std::uint64_t>(e + 8),
                  load<std::uint32_t>(e + 16),      load<std::uint32_t>(e + 20),
                  static_cast<std::uint8_t>(e[24]), load<std::uint32_t>(e + 28)};
    if (b.raw_pos != raw || b.file_pos != file || b.raw_len == 0 || b.raw_len > max_block_raw ||
        b.codec > max_block_codec)
      return why = "compressed segment block table inconsistent at block " + std::to_string(i),
             std::nullopt;
    raw += b.raw_len;
    file += b.stored_len;
    ix.blocks.push_back(b);
  }
  if (raw != ix.logical_size || file != table)
    return why = "compressed segment block table does not cover the segment", std::nullopt;
  return ix;
}

// A codec-5 or codec-6 block (u8 version 3 or 4, varint R, then per column: u8 method, varint
// length, bytes) into `out`; `cols` holds the decompressed columns. False with `why`.
inline bool decode_packed_columns(std::string_view in, std::size_t raw_len,
                                  std::vector<std::byte>& out, bool crcs, std::string& cols,
                                  std::string& why, std::uint8_t version = columns_version) {
  columns::col_reader top(in);
  if (version < 3 || top.u8() != version) return why = "block does not decode", false;
  const auto n = top.varint();
  std::string_view part[column_count];
  std::uint8_t method[column_count];
  std::uint64_t total = 0;
  bool needs_zstd = false;
  for (std::size_t i = 0; i < column_count; ++i) {
    method[i] = top.u8();
    part[i] = top.str();
    if (method[i] > 2) return why = "block does not decode", false;
    if (method[i] == 0) continue;
    needs_zstd = true;
    const auto want = zstd_built ? zstd_content_size(part[i]) : 0;
    if (want < 0 || static_cast<std::uint64_t>(want) > 2 * max_block_raw - total)
      return why = "block does not decode", false;
    total += static_cast<std::uint64_t>(want);
  }
  if (!top.ok() || !top.at_end()) return why = "block does not decode", false;
  if (needs_zstd && !zstd_built) return why = "block needs zstd (this build has no libzstd)", false;
  if (cols.size() < total) cols.resize(total);
  std::string_view col[column_count];
  std::size_t at = 0;
  for (std::size_t i = 0; i < column_count; ++i) {
    if (method[i] == 0) {
      col[i] = part[i];
      continue;
    }
    const auto want = static_cast<std::size_t>(zstd_content_size(part[i]));
    if (!zstd_decompress_into(part[i], cols.data() + at, want,
                              method[i] == 2 ? columns::column_dictionary() : std::string_view{}))
      return why = "block does not decode", false;
    col[i] = {cols.data() + at, want};
    at += want;
  }
  if (!decode_column_set(version, n, col, raw_len, out, crcs))
    return why = "block does not decode", false;
  return true;
}

// Decodes block `b` into the first b.raw_len bytes of `out` (grown, never shrunk); false with
// `why` (checksum, codec, zstd), or with `read_err` = errno when reading failed (the block is
// then unknown, not damaged). `crcs`: see decode_columns.
inline bool decode_block(int fd, const block_entry& b, std::string& stored, std::string& scratch,
                         std::vector<std::byte>& out, std::string& why, int& read_err,
                         bool crcs = true) {
  stored.resize(b.stored_len);
  read_err = 0;
  const auto got = pread_full(fd, stored.data(), stored.size(), b.file_pos);
  if (got < 0) return read_err = errno, false;
  if (got != static_cast<ssize_t>(b.stored_len))
    return why = "block extends past end of file", false;
  if (crc32c(reinterpret_cast<const std::byte*>(stored.data()), stored.size()) != b.crc)
    return why = "block checksum mismatch", false;
  const auto codec = static_cast<block_codec>(b.codec);
  switch (codec) {
    case block_codec::stored:
      if (b.stored_len != b.raw_len) return why = "stored block of the wrong length", false;
      if (out.size() < b.raw_len) out.resize(b.raw_len);
      std::memcpy(out.data(), stored.data(), b.raw_len);
      return true;
    case block_codec::columns_v1:
    case block_codec::columns:
      if (!decode_columns(stored, b.raw_len, out, crcs, codec == block_codec::columns ? 2 : 1))
        return why = "block does not decode", false;
      return true;
    case block_codec::columns_v1_zstd:
    case block_codec::columns_zstd:
      if (!zstd_built) return why = "block needs zstd (this build has no libzstd)", false;
      if (!zstd_decompress(stored, scratch, 2 * max_block_raw) ||
          !decode_columns(scratch, b.raw_len, out, crcs,
                          codec == block_codec::columns_zstd ? 2 : 1))
        return why = "block does not decode", false;
      return true;
    case block_codec::columns_v3:
    case block_codec::columns_v4:
      return decode_packed_columns(stored, b.raw_len, out, crcs, scratch, why,
                                   codec == block_codec::columns_v3 ? 3 : 4);
  }
  return why = "unknown block codec", false;
}

// Size of the raw segment a file stands for (its own size unless it is a compressed segment
// with a valid header): what .idx and .active record and what offsets are computed from.
inline std::uint64_t logical_segment_size(const std::filesystem::path& p, std::uint64_t st_size) {
  if (st_size < compressed_header_size) return st_size;
  unique_fd fd(sys::open(p.c_str(), O_RDONLY | no_follow));
  std::byte h[compressed_header_size];
  if (!fd || pread_full(fd.get(), h, sizeof h, 0) != static_cast<ssize_t>(sizeof h) ||
      !is_compressed_header(h, sizeof h) || crc32c(h, 60) != load<std::uint32_t>(h + 60))
    return st_size;
  return load<std::uint64_t>(h + 24);
}

}  // namespace detail
}  // namespace introspect::inline v1::store
