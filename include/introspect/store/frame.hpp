#pragma once
// Byte layout of segment files and frames (docs/format.md is the normative description).
#include <cstddef>
#include <cstdint>
#include <span>

#include <introspect/store/crc32c.hpp>
#include <introspect/store/detail/io.hpp>

namespace introspect::inline v1::store {

//! On-disk format version written in every segment and small-file header.
inline constexpr std::uint32_t format_version = 1;
//! Largest payload a frame may carry; also bounds how far a damaged length field can mislead.
inline constexpr std::uint32_t max_payload_bytes = 16u << 20;

//! Logical position of a record: the byte position of its frame in the stream's concatenated
//! frame space (segment headers excluded). Monotonic across segments, stable under damage.
using offset_t = std::uint64_t;

namespace detail {

inline constexpr char segment_magic[8] = {'I', 'X', 'S', 'T', 'S', 'E', 'G', '\0'};
inline constexpr std::size_t segment_header_size = 32;
inline constexpr std::size_t frame_header_size = 20;

struct frame_header {
  std::uint32_t length = 0;
  std::uint32_t crc = 0;
  std::int64_t ts_ns = 0;
  std::uint8_t kind = 0;
  std::uint8_t flags = 0;
  std::uint16_t reserved = 0;
};

inline frame_header decode_frame_header(const std::byte* p) noexcept {
  frame_header h;
  h.length = load<std::uint32_t>(p);
  h.crc = load<std::uint32_t>(p + 4);
  h.ts_ns = load<std::int64_t>(p + 8);
  h.kind = static_cast<std::uint8_t>(p[16]);
  h.flags = static_cast<std::uint8_t>(p[17]);
  h.reserved = load<std::uint16_t>(p + 18);
  return h;
}

// Encodes the header at p (20 bytes) for a payload already copied to p + 20; computes the CRC.
inline void encode_frame(std::byte* p, std::int64_t ts, std::uint8_t kind, std::uint8_t flags,
                         std::uint32_t length) noexcept {
  store_le<std::uint32_t>(p, length);
  store_le<std::int64_t>(p + 8, ts);
  p[16] = std::byte{kind};
  p[17] = std::byte{flags};
  store_le<std::uint16_t>(p + 18, 0);
  store_le<std::uint32_t>(p + 4, crc32c(p + 8, frame_header_size - 8 + length));
}

// Writes a whole frame at p: the header and a copy of the payload at `src` (n bytes), with its
// CRC computed while copying (the payload is read once, and no second pass reads the frame).
inline void encode_frame_copy(std::byte* p, std::int64_t ts, std::uint8_t kind, std::uint8_t flags,
                              const std::byte* src, std::uint32_t n) noexcept {
  store_le<std::uint32_t>(p, n);
  store_le<std::int64_t>(p + 8, ts);
  p[16] = std::byte{kind};
  p[17] = std::byte{flags};
  store_le<std::uint16_t>(p + 18, 0);
  store_le<std::uint32_t>(p + 4,
                          crc32c_copy(p + frame_header_size, src, n, p + 8, frame_header_size - 8));
}

// A header is plausible when its fixed fields could have been written by us; cheap filter
// before the CRC when resynchronising through damage.
inline bool plausible(const frame_header& h) noexcept {
  return h.reserved == 0 && h.length <= max_payload_bytes;
}

enum class frame_check { ok, need_more, bad };

// Checks a frame at p with `avail` readable bytes.
inline frame_check check_frame(const std::byte* p, std::size_t avail, frame_header& h) noexcept {
  if (avail < frame_header_size) return frame_check::need_more;
  h = decode_frame_header(p);
  if (!plausible(h)) return frame_check::bad;
  if (avail < frame_header_size + h.length) return frame_check::need_more;
  return crc32c(p + 8, frame_header_size - 8 + h.length) == h.crc ? frame_check::ok
                                                                  : frame_check::bad;
}

inline void encode_segment_header(std::byte* p, std::uint64_t first_offset) noexcept {
  std::memcpy(p, segment_magic, 8);
  store_le<std::uint32_t>(p + 8, format_version);
  store_le<std::uint32_t>(p + 12, static_cast<std::uint32_t>(segment_header_size));
  store_le<std::uint64_t>(p + 16, first_offset);
  store_le<std::uint32_t>(p + 24, 0);
  store_le<std::uint32_t>(p + 28, crc32c(p, 28));
}

enum class header_check { ok, short_file, bad_magic, bad_crc, bad_version, wrong_offset };

inline const char* to_string(header_check c) noexcept {
  switch (c) {
    case header_check::ok:
      return "ok";
    case header_check::short_file:
      return "segment header incomplete";
    case header_check::bad_magic:
      return "not a segment (bad magic)";
    case header_check::bad_crc:
      return "segment header checksum mismatch";
    case header_check::bad_version:
      return "unsupported segment format version";
    case header_check::wrong_offset:
      return "segment header offset does not match file name";
  }
  return "?";
}

inline header_check check_segment_header(const std::byte* p, std::size_t avail,
                                         std::uint64_t expected_first) noexcept {
  if (avail < segment_header_size) return header_check::short_file;
  if (std::memcmp(p, segment_magic, 8) != 0) return header_check::bad_magic;
  if (crc32c(p, 28) != load<std::uint32_t>(p + 28)) return header_check::bad_crc;
  if (load<std::uint32_t>(p + 8) != format_version ||
      load<std::uint32_t>(p + 12) != segment_header_size)
    return header_check::bad_version;
  if (load<std::uint64_t>(p + 16) != expected_first) return header_check::wrong_offset;
  return header_check::ok;
}

}  // namespace detail
}  // namespace introspect::inline v1::store
