#pragma once
// Reopening a stream after a crash: trust sealed segments' indexes, scan only the last segment,
// cut its torn tail, and report what was discarded. No manual step is ever needed.
#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <introspect/store/errors.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/manifest.hpp>
#include <introspect/store/segment.hpp>

namespace introspect::inline v1::store::detail {

struct recovered_stream {
  std::vector<segment_summary> sealed;
  segment_summary active;  // the last segment; file_size is its (cut) size
  std::filesystem::path active_path;
  bool need_new_segment = false;     // no usable last segment: create one at active.first
  std::int64_t active_first_ts = 0;  // ts of the active segment's first record (for segment_age)
  truncation_point trunc;
  bool trunc_unknown = false;  // both truncation files damaged: readers refuse the stream
  std::vector<recovery_event> events;
  std::vector<damage> damages;
  std::vector<read_error> errors;  // files that could not be read (never taken for empty)
};

inline void remove_leftovers(const std::filesystem::path& dir) {
  std::vector<dir_entry> ents;
  if (list_dir(dir, ents) != 0) return;
  for (auto& e : ents) {
    auto& name = e.name;
    if (is_tmp(name)) {
      (void)sys::unlink((dir / name).c_str());
    } else if (auto first = parse_segment_name(name, segment_idx_suffix);
               first || (first = parse_segment_name(name, segment_tix_suffix))) {
      // An index whose segment retention already removed (crash between the unlinks).
      struct stat st {};
      if (::lstat((dir / segment_log_name(*first)).c_str(), &st) != 0 && errno == ENOENT)
        (void)sys::unlink((dir / name).c_str());
    }
  }
}

// A sealed segment: its index when it matches the file; else a scan (the index is rewritten
// only when there was none or it was damaged: an index describing a longer file is evidence
// of loss and stays for verify).
inline segment_summary recover_sealed(const segment_file& seg, std::uint32_t index_interval,
                                      recovered_stream& r) {
  struct stat st {};
  if (::lstat(seg.log.c_str(), &st) != 0) {
    r.errors.push_back({seg.log, errno, "open"});
    segment_summary s;
    s.first = s.end = seg.first;
    s.readable = false;
    return s;
  }
  std::string idx_why;
  auto idx = read_index(seg.idx, seg.first, &idx_why);
  if (idx &&
      idx->file_size == logical_segment_size(seg.log, static_cast<std::uint64_t>(st.st_size)))
    return std::move(*idx);
  auto scan = scan_segment(seg.log, seg.first, index_interval);
  if (scan.error) {
    // An error is never evidence of emptiness: keep the segment, unknown, for a later retry.
    r.errors.push_back({seg.log, scan.error, scan.opened ? "read" : "open"});
    scan.summary.file_size = static_cast<std::uint64_t>(st.st_size);
    return std::move(scan.summary);
  }
  for (auto& d : scan.damages) r.damages.push_back(d);
  if (scan.tail_bytes)
    r.damages.push_back({seg.log, scan.valid_end_pos, scan.tail_bytes,
                         "incomplete frame at end of sealed segment"});
  if (idx) {
    r.damages.push_back(
        {seg.log, scan.summary.file_size,
         idx->file_size > scan.summary.file_size ? idx->file_size - scan.summary.file_size : 0,
         "segment size differs from its index (" + std::to_string(idx->file_size) + " bytes, " +
             std::to_string(idx->records) + " records indexed)"});
  } else {
    if (!idx_why.empty()) r.damages.push_back({seg.idx, 0, 0, "index: " + idx_why});
    (void)atomic_write_file(seg.idx, encode_index(scan.summary), false);
  }
  return std::move(scan.summary);
}

inline recovered_stream recover_stream(const std::filesystem::path& dir,
                                       std::uint32_t index_interval) {
  recovered_stream r;
  remove_leftovers(dir);
  auto ts = load_truncation_state(dir);
  r.trunc = ts.point;
  r.trunc_unknown = ts.unknown;
  if (!ts.problem.empty()) r.damages.push_back({dir / truncation_name, 0, 0, ts.problem});
  std::string active_why;
  auto rec = load_active(dir, &active_why);
  if (!active_why.empty()) r.damages.push_back({dir / active_name, 0, 0, active_why});
  auto segs = list_segments(dir, nullptr, &r.errors);
  if (!r.errors.empty())
    throw store_error(r.errors.front().message());  // an unlistable stream is not an empty one
  // The recorded active segment is gone: every listed segment is sealed, and the next one
  // starts past everything it held, so the gap stays visible to verify.
  bool active_lost = rec && (segs.empty() || segs.back().first < rec->first);
  if (active_lost)
    r.damages.push_back({dir / segment_log_name(rec->first), 0, rec->file_size,
                         "active segment missing (" + std::to_string(rec->records) +
                             " records at the last roll or close)"});
  std::size_t n_sealed = active_lost ? segs.size() : (segs.empty() ? 0 : segs.size() - 1);
  for (std::size_t i = 0; i < n_sealed; ++i) {
    r.sealed.push_back(recover_sealed(segs[i], index_interval, r));
    // Sealed with its .idx now: the active-segment index (left by a crash mid-roll) is spent.
    if (r.sealed.back().readable)
      (void)sys::unlink((dir / segment_tix_name(segs[i].first)).c_str());
  }
  if (segs.empty() || active_lost) {
    std::uint64_t start = r.trunc.offset;
    if (!r.sealed.empty())
      start = std::max(
          start, r.sealed.back().first + (r.sealed.back().file_size > segment_header_size
                                              ? r.sealed.back().file_size - segment_header_size
                                              : 0));
    if (rec)
      start = std::max(start, rec->first + (rec->file_size > segment_header_size
                                                ? rec->file_size - segment_header_size
                                                : 0));
    r.active.first = r.active.end = start;
    r.need_new_segment = true;
    return r;
  }
  auto& last = segs.back();
  auto scan = scan_segment(last.log, last.first, index_interval);
  if (scan.error) {
    // Unreadable: keep it as it is (sealed, content unknown) and continue past its bytes.
    struct stat st {};
    if (::lstat(last.log.c_str(), &st) != 0)
      throw store_error(read_error{last.log, errno, "open"}.message());
    r.errors.push_back({last.log, scan.error, scan.opened ? "read" : "open"});
    auto size =
        std::max<std::uint64_t>(static_cast<std::uint64_t>(st.st_size), segment_header_size);
    scan.summary.file_size = size;
    r.sealed.push_back(std::move(scan.summary));
    r.active = segment_summary{};
    r.active.first = r.active.end = last.first + (size - segment_header_size);
    r.need_new_segment = true;
    return r;
  }
  if (scan.compressed) {
    // A compressed segment is sealed, whole or not (a store whose active segment was lost after
    // a seal, or a damaged file): appending raw frames into it would overwrite its blocks and
    // lose the new records. Keep it for readers; continue past every byte it holds or stands
    // for (its raw size when its header can be read, else its stored size), so that a new
    // segment never takes its name.
    for (auto& d : scan.damages) r.damages.push_back(d);
    const auto size = std::max(
        {scan.summary.file_size, scan.stored_size, std::uint64_t{segment_header_size} + 1});
    scan.summary.file_size = size;
    r.sealed.push_back(std::move(scan.summary));
    r.active = segment_summary{};
    r.active.first = r.active.end = last.first + (size - segment_header_size);
    r.need_new_segment = true;
    return r;
  }
  r.active_path = last.log;
  r.active = std::move(scan.summary);
  r.active_first_ts = scan.first_ts;
  if (rec && rec->first == last.first && scan.summary.file_size < rec->file_size)
    r.damages.push_back({last.log, scan.summary.file_size, rec->file_size - scan.summary.file_size,
                         "active segment shorter than at the last roll or close (" +
                             std::to_string(rec->records) + " records then)"});
  for (auto& d : scan.damages) r.damages.push_back(d);
  if (scan.header == header_check::short_file ||
      (scan.header != header_check::ok && scan.summary.file_size <= segment_header_size)) {
    // Crash while creating the segment: rewrite it from scratch.
    if (scan.summary.file_size > 0) r.events.push_back({last.log, 0, scan.summary.file_size, 0});
    r.active = segment_summary{};
    r.active.first = r.active.end = last.first;
    r.need_new_segment = true;
    return r;
  }
  if (scan.header != header_check::ok) {
    // A damaged header with data behind it: keep the file for readers, continue in a new one
    // past every byte it could hold.
    r.active.file_size = scan.summary.file_size;
    r.sealed.push_back(r.active);
    r.active = segment_summary{};
    r.active.first = r.active.end = last.first + (scan.summary.file_size - segment_header_size);
    r.need_new_segment = true;
    return r;
  }
  if (scan.tail_bytes) {
    unique_fd fd(sys::open(last.log.c_str(), O_WRONLY | no_follow));
    if (fd && sys::ftruncate(fd.get(), static_cast<off_t>(scan.valid_end_pos)) == 0)
      r.events.push_back({last.log, scan.valid_end_pos, scan.tail_bytes, scan.tail_frames});
    else
      r.damages.push_back({last.log, scan.valid_end_pos, scan.tail_bytes, "cannot cut torn tail"});
  }
  r.active.file_size = scan.valid_end_pos;
  return r;
}

}  // namespace introspect::inline v1::store::detail
