#pragma once
//! The bytes of one segment as a bundle carries them: valid frames byte for byte (snapshot and
//! bearer-token redaction applied, CRC recomputed), every other byte after the header (damaged
//! ranges, torn tails) zeroed: they may hold anything, and what they were is in the bundle's
//! verify report. A window keeps the frames between two file positions (frame boundaries).
//!
//! The walk is the store's own segment_scanner (store/segment.hpp), so that the bundle and
//! every reader agree on what a valid frame is, damage and resynchronisation included.
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <introspect/bundle/redact.hpp>
#include <introspect/store/segment.hpp>
#include <introspect/store/tooling.hpp>

namespace introspect::inline v1::bundle {

//! What the copies of a bundle found, summed over its segments.
struct copy_stats {
  std::uint64_t frames = 0;
  std::uint64_t zeroed_bytes = 0;  //!< damaged ranges and torn tails
  std::map<std::uint8_t, std::uint64_t> kinds;
  std::int64_t first_ts = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
  redaction_counts redactions;
};

//! One frame's place in a segment (the window's first pass).
struct frame_place {
  std::uint64_t pos = 0, size = 0;
  std::int64_t ts_ns = 0;
};

//! The valid frames of a segment, in file order (positions and times only).
inline std::vector<frame_place> frame_places(const std::filesystem::path& p, store::offset_t first,
                                             int& error) {
  std::vector<frame_place> out;
  store::segment_scanner sc;
  error = 0;
  if (!sc.open(p, first)) {
    error = sc.error();
    return out;
  }
  store::scanned_frame f;
  store::damage d;
  for (;;) {
    const auto s = sc.next(f, d);
    if (s == store::segment_scanner::step::end) break;
    if (s == store::segment_scanner::step::frame) out.push_back({f.pos, f.size(), f.header.ts_ns});
  }
  error = sc.error();
  return out;
}

//! Copies file positions [from, to) of a segment (from == 32: from its first frame) to
//! `emit(const std::byte*, std::size_t)`, preceded by a segment header for `new_first`. Emits
//! exactly 32 + (to - from) bytes. Returns the errno of a failed read (0 when all went well).
template <class Emit>
int copy_segment(const std::filesystem::path& p, store::offset_t first, std::uint64_t from,
                 std::uint64_t to, store::offset_t new_first, const redact_options& ropt,
                 copy_stats& st, Emit&& emit) {
  namespace sd = store;
  std::byte hdr[sd::segment_header_size];
  sd::segment_scanner sc;
  const bool opened = sc.open(p, first);
  if (from == sd::segment_header_size && new_first == first && opened && !sc.compressed()) {
    // The whole file: its own header as it is (evidence when it is damaged).
    std::memset(hdr, 0, sizeof hdr);
    sd::unique_fd fd(store::open_file(p.c_str(), O_RDONLY | sd::no_follow));
    if (fd) (void)sd::pread_full(fd.get(), hdr, sizeof hdr, 0);
  } else {
    sd::encode_segment_header(hdr, new_first);
  }
  emit(hdr, sizeof hdr);
  std::vector<std::byte> zeros(64 << 10), frame;
  std::uint64_t at = from;  // the next file position to emit
  auto fill_to = [&](std::uint64_t pos) {
    while (at < pos) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(pos - at, zeros.size()));
      emit(zeros.data(), n);
      st.zeroed_bytes += n;
      at += n;
    }
  };
  int error = opened ? 0 : sc.error();
  // Counted here and added to `st` at the end: a map update per frame cost more than the frame.
  std::array<std::uint64_t, 256> kinds{};
  std::int64_t first_ts = st.first_ts, last_ts = st.last_ts;
  if (opened) {
    sc.seek(from);
    sd::scanned_frame f;
    store::damage d;
    for (;;) {
      const auto s = sc.next(f, d);
      if (s == sd::segment_scanner::step::end) break;
      if (s != sd::segment_scanner::step::frame) continue;
      if (f.pos + f.size() > to) break;
      fill_to(f.pos);
      const std::byte* bytes = f.payload - sd::frame_header_size;
      ++kinds[f.header.kind];
      first_ts = std::min(first_ts, f.header.ts_ns);
      last_ts = std::max(last_ts, f.header.ts_ns);
      const bool look =
          ropt.enabled && may_need_redaction(f.header.kind, {f.payload, f.header.length});
      if (look) frame.assign(bytes, bytes + f.size());
      if (look && redact_payload({frame.data() + sd::frame_header_size, f.header.length},
                                 f.header.kind, ropt, st.redactions)) {
        sd::encode_frame(frame.data(), f.header.ts_ns, f.header.kind, f.header.flags,
                         f.header.length);
        emit(frame.data(), frame.size());
      } else {
        emit(bytes, f.size());
      }
      at = f.pos + f.size();
    }
    error = sc.error();
  }
  for (std::size_t k = 0; k < kinds.size(); ++k)
    if (kinds[k]) {
      st.frames += kinds[k];
      st.kinds[static_cast<std::uint8_t>(k)] += kinds[k];
    }
  st.first_ts = first_ts;
  st.last_ts = last_ts;
  fill_to(to);
  return error;
}

//! A compressed sealed segment that travels as the file it is (its blocks, block table and
//! checksums intact): the descriptor it was checked through and what its frames count.
struct carried_segment {
  store::unique_fd fd;
  std::uint64_t size = 0;  //!< the file's bytes: the tar member's size
  copy_stats found;        //!< frames, kinds and times (no redaction, nothing zeroed)
};

//! Whether the part [from, to) of a segment (see copy_segment) can travel as the segment's
//! stored bytes rather than as expanded frames: it is a compressed segment, taken whole (no
//! window cut inside it), with no damage, no unreadable byte, and no frame that copy_segment
//! would redact (the same may_need_redaction / redact_payload decision, on the decoded frames).
//! Decided before the member's tar header is written, since the size differs. A compressed
//! bundle member is read back like the store reads it: the scanner detects the format.
inline std::optional<carried_segment> carry_segment(const std::filesystem::path& p,
                                                    store::offset_t first, std::uint64_t from,
                                                    std::uint64_t to, store::offset_t new_first,
                                                    const redact_options& ropt) {
  namespace sd = store;
  if (from != sd::segment_header_size || new_first != first) return std::nullopt;
  carried_segment c;
  // The bytes sent are read through this descriptor: the file checked is the file sent.
  c.fd = sd::unique_fd(store::open_file(p, O_RDONLY | sd::no_follow));
  struct stat at_open {};
  if (!c.fd || ::fstat(c.fd.get(), &at_open) != 0) return std::nullopt;
  sd::segment_scanner sc;
  sc.frame_crcs(false);  // the frames are only looked at: their block's checksum vouches
  if (!sc.open(p, first) || !sc.compressed() || sc.file_size() != to) return std::nullopt;
  std::array<std::uint64_t, 256> kinds{};
  auto& f = c.found;
  std::vector<std::byte> scratch;
  redaction_counts unused;
  sd::scanned_frame fr;
  store::damage d;
  for (;;) {
    const auto s = sc.next(fr, d);
    if (s == sd::segment_scanner::step::end) break;
    if (s == sd::segment_scanner::step::damage) return std::nullopt;
    ++kinds[fr.header.kind];
    f.first_ts = std::min(f.first_ts, fr.header.ts_ns);
    f.last_ts = std::max(f.last_ts, fr.header.ts_ns);
    if (ropt.enabled && may_need_redaction(fr.header.kind, {fr.payload, fr.header.length})) {
      scratch.assign(fr.payload, fr.payload + fr.header.length);
      if (redact_payload(scratch, fr.header.kind, ropt, unused)) return std::nullopt;
    }
  }
  // A read error, or bytes after the last frame (a tail no frame covers), go the frame way.
  if (sc.error() || sc.pos() != sc.file_size()) return std::nullopt;
  // The file the scanner read is the one the descriptor holds, at the size it had.
  struct stat now {};
  if (::fstat(c.fd.get(), &now) != 0 || ::lstat(p.c_str(), &at_open) != 0 ||
      now.st_ino != at_open.st_ino || now.st_dev != at_open.st_dev ||
      static_cast<std::uint64_t>(now.st_size) != sc.stored_size())
    return std::nullopt;
  c.size = sc.stored_size();
  for (std::size_t k = 0; k < kinds.size(); ++k)
    if (kinds[k]) {
      f.frames += kinds[k];
      f.kinds[static_cast<std::uint8_t>(k)] += kinds[k];
    }
  return c;
}

//! Sends a carried segment's file as it is to `emit`: exactly c.size bytes (zeros past a read
//! that fails or comes up short, whose errno is returned: the caller gives up the bundle), and
//! adds its frames to `st`.
template <class Emit>
int copy_carried(const carried_segment& c, copy_stats& st, Emit&& emit) {
  std::vector<std::byte> buf(1u << 20);
  int error = 0;
  for (std::uint64_t at = 0; at < c.size;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(c.size - at, buf.size()));
    const auto got = error ? 0 : store::pread_full(c.fd.get(), buf.data(), n, at);
    if (got < 0) error = errno;
    if (static_cast<std::size_t>(std::max<ssize_t>(got, 0)) < n) {
      if (!error) error = EIO;  // the file shrank under us
      std::fill(buf.begin() + std::max<ssize_t>(got, 0),
                buf.begin() + static_cast<std::ptrdiff_t>(n), std::byte{0});
    }
    emit(buf.data(), n);
    at += n;
  }
  const auto& f = c.found;
  st.frames += f.frames;
  for (const auto& [k, n] : f.kinds) st.kinds[k] += n;
  st.first_ts = std::min(st.first_ts, f.first_ts);
  st.last_ts = std::max(st.last_ts, f.last_ts);
  return error;
}

}  // namespace introspect::inline v1::bundle
