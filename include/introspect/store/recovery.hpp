#pragma once
// Reopening a stream after a crash: trust sealed segments' indexes, scan only the last segment,
// cut its torn tail, and report what was discarded. No manual step is ever needed.
#include <unistd.h>
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
  bool need_new_segment = false;  // no usable last segment: create one at active.first
  truncation_point trunc;
  std::vector<recovery_event> events;
  std::vector<damage> damages;
};

inline void remove_leftovers(const std::filesystem::path& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), e; !ec && it != e; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (is_tmp(name)) {
      ::unlink(it->path().c_str());
    } else if (auto first = parse_segment_name(name, segment_idx_suffix)) {
      // An index whose segment retention already removed (crash between the two unlinks).
      if (!std::filesystem::exists(dir / segment_log_name(*first), ec))
        ::unlink(it->path().c_str());
    }
  }
}

inline recovered_stream recover_stream(const std::filesystem::path& dir,
                                       std::uint32_t index_interval) {
  recovered_stream r;
  remove_leftovers(dir);
  std::string why;
  r.trunc = load_truncation(dir, &why);
  if (!why.empty()) r.damages.push_back({dir / truncation_name, 0, 0, why});
  auto segs = list_segments(dir);
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    struct stat st {};
    if (::stat(segs[i].log.c_str(), &st) != 0) continue;
    if (auto s = load_index(segs[i].idx, segs[i].first, static_cast<std::uint64_t>(st.st_size))) {
      r.sealed.push_back(std::move(*s));
      continue;
    }
    auto scan = scan_segment(segs[i].log, segs[i].first, index_interval);
    for (auto& d : scan.damages) r.damages.push_back(d);
    if (scan.tail_bytes)
      r.damages.push_back({segs[i].log, scan.valid_end_pos, scan.tail_bytes,
                           "incomplete frame at end of sealed segment"});
    (void)atomic_write_file(segs[i].idx, encode_index(scan.summary), false);
    r.sealed.push_back(std::move(scan.summary));
  }
  if (segs.empty()) {
    std::uint64_t start = r.trunc.offset;
    r.active.first = r.active.end = start;
    r.need_new_segment = true;
    return r;
  }
  auto& last = segs.back();
  auto scan = scan_segment(last.log, last.first, index_interval);
  r.active_path = last.log;
  r.active = std::move(scan.summary);
  for (auto& d : scan.damages) r.damages.push_back(d);
  if (scan.header == header_check::short_file ||
      (scan.header != header_check::ok && scan.summary.file_size <= segment_header_size)) {
    // Crash while creating the segment: rewrite it from scratch.
    if (scan.summary.file_size > 0) r.events.push_back({last.log, 0, scan.summary.file_size, 0});
    r.damages.clear();
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
    if (::truncate(last.log.c_str(), static_cast<off_t>(scan.valid_end_pos)) == 0)
      r.events.push_back({last.log, scan.valid_end_pos, scan.tail_bytes, scan.tail_frames});
    else
      r.damages.push_back({last.log, scan.valid_end_pos, scan.tail_bytes, "cannot cut torn tail"});
  }
  r.active.file_size = scan.valid_end_pos;
  return r;
}

}  // namespace introspect::inline v1::store::detail
