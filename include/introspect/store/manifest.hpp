#pragma once
// Small control files (segment index, truncation point, metadata blobs, scope marker) share
// one checksummed envelope and are always replaced atomically (temp + fsync + rename + fsync dir).
#include <algorithm>
#include <cerrno>
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
inline constexpr char active_magic[8] = {'I', 'X', 'S', 'T', 'A', 'C', 'T', '\0'};

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
  // Not stored: false when the segment could not be read (its content is unknown, never empty;
  // retention must not take it for an empty segment).
  bool readable = true;

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

// Reads `<segment>.idx` (nullopt when missing or damaged; `why` says which).
inline std::optional<segment_summary> read_index(const std::filesystem::path& idx, offset_t first,
                                                 std::string* why = nullptr) {
  std::vector<std::byte> buf;
  int err = 0;
  if (!read_file(idx, buf, &err)) {
    if (why) *why = err == ENOENT ? "" : std::string("cannot read: ") + std::strerror(err);
    return std::nullopt;
  }
  std::string w;
  auto s = decode_index(buf, w);
  if (s && s->first != first) w = "index names another segment", s.reset();
  if (!s && why) *why = w;
  return s;
}

// Reads and validates `<segment>.idx` against the log it describes.
inline std::optional<segment_summary> load_index(const std::filesystem::path& idx, offset_t first,
                                                 std::uint64_t log_size) {
  auto s = read_index(idx, first);
  if (!s || s->file_size != log_size) return std::nullopt;
  return s;
}

inline std::vector<std::byte> encode_truncation(const truncation_point& t) {
  std::byte pl[16];
  store_le<std::uint64_t>(pl, t.offset);
  store_le<std::int64_t>(pl + 8, t.ts_ns);
  return seal_envelope(trunc_magic, pl);
}

// What a stream's two truncation files say. `unknown`: neither copy is readable although one
// exists, so the truncation point is lost; readers then refuse the stream (fail closed) rather
// than show records a user truncated away.
struct truncation_state {
  truncation_point point;
  bool unknown = false;
  std::string problem;  // damage to report (one copy bad while the other is good counts too)
};

inline truncation_state load_truncation_state(const std::filesystem::path& stream_dir) {
  truncation_state st;
  bool any_valid = false, any_present = false;
  for (auto name : {truncation_name, truncation_copy_name}) {
    auto p = stream_dir / name;
    std::vector<std::byte> buf;
    int err = 0;
    std::string w;
    if (!read_file(p, buf, &err)) {
      if (err == ENOENT) {
        // An old store has no copy; a missing first file next to a copy is damage.
        if (name == truncation_name)
          w = "missing while its copy exists";
        else
          continue;
      } else {
        w = std::string("cannot read: ") + std::strerror(err);
      }
      any_present = any_present || err != ENOENT;
    } else {
      any_present = true;
      auto pl = open_envelope(trunc_magic, buf, w);
      if (pl && pl->size() == 16) {
        truncation_point t{load<std::uint64_t>(pl->data()), load<std::int64_t>(pl->data() + 8)};
        st.point.offset = any_valid ? std::max(st.point.offset, t.offset) : t.offset;
        st.point.ts_ns = any_valid ? std::max(st.point.ts_ns, t.ts_ns) : t.ts_ns;
        any_valid = true;
        continue;
      }
      if (w.empty()) w = "bad truncation payload";
    }
    if (!st.problem.empty()) st.problem += "; ";
    st.problem += std::string(name) + ": " + w;
  }
  if (!any_present) st.problem.clear();  // never truncated
  if (any_present && !any_valid) st.unknown = true;
  return st;
}

// Legacy form: the point, failing closed (everything hidden) when it is unknown.
inline truncation_point load_truncation(const std::filesystem::path& stream_dir,
                                        std::string* why = nullptr) {
  auto st = load_truncation_state(stream_dir);
  if (why) *why = st.problem;
  if (st.unknown)
    return {std::numeric_limits<offset_t>::max(), std::numeric_limits<std::int64_t>::max()};
  return st.point;
}

// The active segment as the writer last left it (at a roll or a clean close): recovery and
// verify compare it with the file, so an emptied or deleted active segment is seen.
struct active_record {
  offset_t first = 0;
  std::uint64_t file_size = 0;
  std::uint64_t records = 0;
};

inline std::vector<std::byte> encode_active(const active_record& a) {
  std::byte pl[24];
  store_le<std::uint64_t>(pl, a.first);
  store_le<std::uint64_t>(pl + 8, a.file_size);
  store_le<std::uint64_t>(pl + 16, a.records);
  return seal_envelope(active_magic, pl);
}

// nullopt when missing (old store, or never written); `why` set when damaged.
inline std::optional<active_record> load_active(const std::filesystem::path& stream_dir,
                                                std::string* why = nullptr) {
  std::vector<std::byte> buf;
  int err = 0;
  if (!read_file(stream_dir / active_name, buf, &err)) {
    if (err != ENOENT && why) *why = std::string("cannot read: ") + std::strerror(err);
    return std::nullopt;
  }
  std::string w;
  auto pl = open_envelope(active_magic, buf, w);
  if (!pl || pl->size() != 24) {
    if (why) *why = w.empty() ? "bad payload" : w;
    return std::nullopt;
  }
  return active_record{load<std::uint64_t>(pl->data()), load<std::uint64_t>(pl->data() + 8),
                       load<std::uint64_t>(pl->data() + 16)};
}

}  // namespace detail
}  // namespace introspect::inline v1::store
