#pragma once
// Full integrity check of a store: every frame of every segment is re-checksummed.
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
  std::uint64_t scopes = 0, streams = 0, segments = 0, records = 0, bytes = 0;
  //! No damage (torn tails and foreign files do not count).
  bool clean() const noexcept { return damages.empty(); }
};

//! Re-reads the whole store under `root` (read-only) and reports every problem it finds.
inline verify_report verify(const std::filesystem::path& root) {
  verify_report r;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    r.damages.push_back({root, 0, 0, "not a directory"});
    return r;
  }
  for (auto& sc : detail::list_scopes(root, &r.foreign)) {
    ++r.scopes;
    for (auto& m : detail::list_meta(sc.dir, &r.foreign)) {
      std::string why;
      if (!detail::read_meta(sc.dir, m, &why))
        r.damages.push_back({sc.dir / detail::meta_dir / m, 0, 0, "metadata: " + why});
    }
    for (auto& st : detail::list_streams(sc.dir, &r.foreign)) {
      ++r.streams;
      std::string why;
      detail::load_truncation(st.dir, &why);
      if (!why.empty())
        r.damages.push_back({st.dir / detail::truncation_name, 0, 0, "truncation: " + why});
      auto segs = detail::list_segments(st.dir, &r.foreign);
      for (std::size_t i = 0; i < segs.size(); ++i) {
        bool last = i + 1 == segs.size();
        auto scan = detail::scan_segment(segs[i].log, segs[i].first);
        if (!scan.opened) {
          r.damages.push_back({segs[i].log, 0, 0, "cannot open"});
          continue;
        }
        ++r.segments;
        r.records += scan.summary.records;
        r.bytes += scan.summary.file_size;
        for (auto& d : scan.damages) r.damages.push_back(d);
        if (scan.header == detail::header_check::short_file && !last)
          r.damages.push_back({segs[i].log, 0, scan.summary.file_size, to_string(scan.header)});
        if (scan.tail_bytes) {
          damage d{segs[i].log, scan.valid_end_pos, scan.tail_bytes, "incomplete frame at end"};
          (last ? r.torn_tails : r.damages).push_back(d);
        }
        // An index is only compared with a clean segment: damage is already reported once.
        bool intact = scan.damages.empty() && scan.tail_bytes == 0;
        if (!last && intact && std::filesystem::exists(segs[i].idx, ec)) {
          std::vector<std::byte> buf;
          std::string w;
          std::optional<detail::segment_summary> idx;
          if (detail::read_file(segs[i].idx, buf)) idx = detail::decode_index(buf, w);
          if (!idx)
            r.damages.push_back({segs[i].idx, 0, buf.size(), "index: " + w});
          else if (idx->file_size == scan.summary.file_size &&
                   (idx->records != scan.summary.records || idx->end != scan.summary.end))
            r.damages.push_back({segs[i].idx, 0, buf.size(), "index disagrees with its segment"});
        }
      }
    }
  }
  return r;
}

}  // namespace introspect::inline v1::store
