#pragma once
// Small control files (segment index, truncation point, metadata blobs, scope marker) share
// one checksummed envelope and are always replaced atomically (temp + fsync + rename + fsync dir).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <introspect/store/frame.hpp>
#include <introspect/store/names.hpp>

namespace introspect::inline v1::store {

//! A stream's durable truncation point: records with offset < `offset` or ts < `ts_ns` are gone.
struct truncation_point {
  offset_t offset = 0;
  std::int64_t ts_ns = std::numeric_limits<std::int64_t>::min();
  bool hides(offset_t off, std::int64_t ts) const noexcept { return off < offset || ts < ts_ns; }
  bool operator==(const truncation_point&) const = default;
};

namespace detail {

inline constexpr std::size_t envelope_header_size = 24;
inline constexpr char index_magic[8] = {'I', 'X', 'S', 'T', 'I', 'D', 'X', '\0'};
inline constexpr char trunc_magic[8] = {'I', 'X', 'S', 'T', 'T', 'R', 'N', '\0'};
inline constexpr char meta_magic[8] = {'I', 'X', 'S', 'T', 'M', 'E', 'T', '\0'};
inline constexpr char scope_magic[8] = {'I', 'X', 'S', 'T', 'S', 'C', 'O', '\0'};

inline std::vector<std::byte> seal_envelope(const char (&magic)[8],
                                            std::span<const std::byte> payload) {
  std::vector<std::byte> out(envelope_header_size + payload.size());
  std::memcpy(out.data(), magic, 8);
  store_le<std::uint32_t>(out.data() + 8, format_version);
  store_le<std::uint32_t>(out.data() + 12, static_cast<std::uint32_t>(payload.size()));
  store_le<std::uint32_t>(out.data() + 16, crc32c(payload));
  store_le<std::uint32_t>(out.data() + 20, crc32c(out.data(), 20));
  if (!payload.empty())
    std::memcpy(out.data() + envelope_header_size, payload.data(), payload.size());
  return out;
}

// Returns the payload, or nullopt with `why` set.
inline std::optional<std::span<const std::byte>> open_envelope(const char (&magic)[8],
                                                               std::span<const std::byte> file,
                                                               std::string& why) {
  if (file.size() < envelope_header_size) return why = "file too short", std::nullopt;
  const std::byte* p = file.data();
  if (std::memcmp(p, magic, 8) != 0) return why = "bad magic", std::nullopt;
  if (crc32c(p, 20) != load<std::uint32_t>(p + 20))
    return why = "header checksum mismatch", std::nullopt;
  if (load<std::uint32_t>(p + 8) != format_version)
    return why = "unsupported version " + std::to_string(load<std::uint32_t>(p + 8)), std::nullopt;
  auto len = load<std::uint32_t>(p + 12);
  if (file.size() != envelope_header_size + len) return why = "length mismatch", std::nullopt;
  auto payload = file.subspan(envelope_header_size);
  if (crc32c(payload) != load<std::uint32_t>(p + 16))
    return why = "payload checksum mismatch", std::nullopt;
  return payload;
}

// A sparse index point: the frame at `offset`, and the largest timestamp of all frames before it
// in the segment (a running max keeps seeks correct even when timestamps are not monotonic).
struct index_entry {
  offset_t offset = 0;
  std::int64_t max_ts_before = std::numeric_limits<std::int64_t>::min();
};

//! What a sealed segment holds, written to its .idx so that opening never re-reads it.
struct segment_summary {
  offset_t first = 0;           // from the file name
  offset_t end = 0;             // one past the last valid frame (logical)
  std::uint64_t file_size = 0;  // log file size the summary describes
  std::uint64_t records = 0;
  std::int64_t min_ts = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
  std::vector<index_entry> entries;

  void add(offset_t off, std::int64_t ts, std::uint64_t frame_bytes, std::uint64_t interval) {
    if (entries.empty() || off - entries.back().offset >= interval)
      entries.push_back({off, records == 0 ? std::numeric_limits<std::int64_t>::min() : max_ts});
    ++records;
    if (ts < min_ts) min_ts = ts;
    if (ts > max_ts) max_ts = ts;
    end = off + frame_bytes;
  }
};

inline std::vector<std::byte> encode_index(const segment_summary& s) {
  std::vector<std::byte> pl(56 + 16 * s.entries.size());
  std::byte* p = pl.data();
  store_le<std::uint64_t>(p, s.first);
  store_le<std::uint64_t>(p + 8, s.end);
  store_le<std::uint64_t>(p + 16, s.file_size);
  store_le<std::uint64_t>(p + 24, s.records);
  store_le<std::int64_t>(p + 32, s.min_ts);
  store_le<std::int64_t>(p + 40, s.max_ts);
  store_le<std::uint64_t>(p + 48, s.entries.size());
  p += 56;
  for (auto& e : s.entries) {
    store_le<std::uint64_t>(p, e.offset);
    store_le<std::int64_t>(p + 8, e.max_ts_before);
    p += 16;
  }
  return seal_envelope(index_magic, pl);
}

inline std::optional<segment_summary> decode_index(std::span<const std::byte> file,
                                                   std::string& why) {
  auto pl = open_envelope(index_magic, file, why);
  if (!pl) return std::nullopt;
  if (pl->size() < 56) return why = "index too short", std::nullopt;
  const std::byte* p = pl->data();
  segment_summary s;
  s.first = load<std::uint64_t>(p);
  s.end = load<std::uint64_t>(p + 8);
  s.file_size = load<std::uint64_t>(p + 16);
  s.records = load<std::uint64_t>(p + 24);
  s.min_ts = load<std::int64_t>(p + 32);
  s.max_ts = load<std::int64_t>(p + 40);
  auto n = load<std::uint64_t>(p + 48);
  if (n != (pl->size() - 56) / 16 || (pl->size() - 56) % 16 != 0)
    return why = "index entry count mismatch", std::nullopt;
  p += 56;
  s.entries.resize(n);
  for (auto& e : s.entries) {
    e.offset = load<std::uint64_t>(p);
    e.max_ts_before = load<std::int64_t>(p + 8);
    p += 16;
  }
  return s;
}

// Reads and validates `<segment>.idx` against the log it describes.
inline std::optional<segment_summary> load_index(const std::filesystem::path& idx, offset_t first,
                                                 std::uint64_t log_size) {
  std::vector<std::byte> buf;
  if (!read_file(idx, buf)) return std::nullopt;
  std::string why;
  auto s = decode_index(buf, why);
  if (!s || s->first != first || s->file_size != log_size) return std::nullopt;
  return s;
}

inline std::vector<std::byte> encode_truncation(const truncation_point& t) {
  std::byte pl[16];
  store_le<std::uint64_t>(pl, t.offset);
  store_le<std::int64_t>(pl + 8, t.ts_ns);
  return seal_envelope(trunc_magic, pl);
}

// A missing file means "never truncated"; an unreadable one is reported by `why`.
inline truncation_point load_truncation(const std::filesystem::path& stream_dir,
                                        std::string* why = nullptr) {
  std::vector<std::byte> buf;
  if (!read_file(stream_dir / truncation_name, buf)) return {};
  std::string w;
  auto pl = open_envelope(trunc_magic, buf, w);
  if (!pl || pl->size() != 16) {
    if (why) *why = w.empty() ? "bad truncation payload" : w;
    return {};
  }
  return {load<std::uint64_t>(pl->data()), load<std::int64_t>(pl->data() + 8)};
}

}  // namespace detail
}  // namespace introspect::inline v1::store
