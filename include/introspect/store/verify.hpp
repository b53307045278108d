#pragma once
// Full integrity check of a store: every frame of every segment is re-checksummed.
#include <sys/stat.h>
#include <filesystem>
#include <string>
#include <vector>

#include <introspect/store/layout.hpp>
#include <introspect/store/meta.hpp>
#include <introspect/store/segment.hpp>

namespace introspect::inline v1::store {

//! Result of verify(): damage is anything a reader will skip; torn tails of last segments are
//! listed apart because a live or crashed writer legitimately leaves them (cut on reopen).
struct verify_report {
  std::vector<damage> damages;
  std::vector<damage> torn_tails;
  std::vector<foreign_file> foreign;
  //! Files and directories that could not be read: what they hold is unknown, so not clean.
  std::vector<read_error> errors;
  std::uint64_t scopes = 0, streams = 0, segments = 0, records = 0, bytes = 0;
  //! No damage and nothing unreadable (torn tails and foreign files do not count).
  bool clean() const noexcept { return damages.empty() && errors.empty(); }
};

namespace detail {

inline std::uint64_t logical_size(std::uint64_t file_size) noexcept {
  return file_size > segment_header_size ? file_size - segment_header_size : 0;
}

inline void verify_stream(const named_dir& st, verify_report& r) {
  auto ts = load_truncation_state(st.dir);
  if (!ts.problem.empty())
    r.damages.push_back(
        {st.dir / truncation_name, 0, 0,
         std::string(ts.unknown ? "truncation point lost (stream refused): " : "truncation: ") +
             ts.problem});
  std::string active_why;
  auto rec = load_active(st.dir, &active_why);
  if (!active_why.empty())
    r.damages.push_back({st.dir / active_name, 0, 0, "active: " + active_why});
  auto segs = list_segments(st.dir, &r.foreign, &r.errors);
  if (rec && (segs.empty() || segs.back().first < rec->first))
    r.damages.push_back({st.dir / segment_log_name(rec->first), 0, rec->file_size,
                         "active segment missing (" + std::to_string(rec->records) +
                             " records at the last roll or close)"});
  for (std::size_t i = 0; i < segs.size(); ++i) {
    bool last = i + 1 == segs.size();
    auto scan = scan_segment(segs[i].log, segs[i].first);
    if (scan.error) {
      r.errors.push_back({segs[i].log, scan.error, scan.opened ? "read" : "open"});
      continue;
    }
    ++r.segments;
    r.records += scan.summary.records;
    r.bytes += scan.summary.file_size;
    for (auto& d : scan.damages) r.damages.push_back(d);
    if (scan.header == header_check::short_file && !last)
      r.damages.push_back({segs[i].log, 0, scan.summary.file_size, to_string(scan.header)});
    if (scan.tail_bytes) {
      damage d{segs[i].log, scan.valid_end_pos, scan.tail_bytes, "incomplete frame at end"};
      (last ? r.torn_tails : r.damages).push_back(d);
    }
    if (last && rec && rec->first == segs[i].first && scan.summary.file_size < rec->file_size)
      r.damages.push_back({segs[i].log, scan.summary.file_size,
                           rec->file_size - scan.summary.file_size,
                           "active segment shorter than at the last roll or close (" +
                               std::to_string(rec->records) + " records then)"});
    // Offsets are contiguous across segments: a gap is a missing or cut segment.
    if (!last) {
      auto end = segs[i].first + logical_size(scan.summary.file_size);
      if (end != segs[i + 1].first)
        r.damages.push_back(
            {segs[i].log, scan.summary.file_size, 0,
             end < segs[i + 1].first
                 ? "records missing between offsets " + std::to_string(end) + " and " +
                       std::to_string(segs[i + 1].first) + " (a segment was removed or cut)"
                 : "segment overlaps the next one (ends at offset " + std::to_string(end) + ")"});
    }
    if (last) continue;
    std::string why;
    auto idx = read_index(segs[i].idx, segs[i].first, &why);
    if (!idx) {
      if (!why.empty()) r.damages.push_back({segs[i].idx, 0, 0, "index: " + why});
      continue;
    }
    bool intact = scan.damages.empty() && scan.tail_bytes == 0;
    if (idx->file_size != scan.summary.file_size)
      r.damages.push_back({segs[i].log, scan.summary.file_size, 0,
                           "segment is " + std::to_string(scan.summary.file_size) +
                               " bytes, its index says " + std::to_string(idx->file_size) + " (" +
                               std::to_string(idx->records) + " records indexed, " +
                               std::to_string(scan.summary.records) + " found)"});
    else if (intact && (idx->records != scan.summary.records || idx->end != scan.summary.end))
      r.damages.push_back({segs[i].idx, 0, 0, "index disagrees with its segment"});
  }
}

}  // namespace detail

//! Re-reads the whole store under `root` (read-only) and reports every problem it finds.
inline verify_report verify(const std::filesystem::path& root) {
  verify_report r;
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0) {
    r.errors.push_back({root, errno, "open"});
    return r;
  }
  if (!S_ISDIR(st.st_mode)) {
    r.damages.push_back({root, 0, 0, "not a directory"});
    return r;
  }
  std::vector<std::filesystem::path> unmarked;
  for (auto& sc : detail::list_scopes(root, &r.foreign, &r.errors, &unmarked)) {
    ++r.scopes;
    for (auto& m : detail::list_meta(sc.dir, &r.foreign, &r.errors)) {
      std::string why;
      if (!detail::read_meta(sc.dir, m, &why))
        r.damages.push_back({sc.dir / detail::meta_dir / m, 0, 0, "metadata: " + why});
    }
    for (auto& stream : detail::list_streams(sc.dir, &r.foreign, &r.errors)) {
      ++r.streams;
      detail::verify_stream(stream, r);
    }
  }
  for (auto& u : unmarked)
    r.damages.push_back(
        {u / detail::scope_marker, 0, 0, "scope marker missing (its streams are still read)"});
  return r;
}

}  // namespace introspect::inline v1::store
