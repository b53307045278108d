#pragma once
// Read-only access to a store while a writer may be appending: no lock, only whole,
// checksum-valid records, damage skipped and counted, truncation honoured.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/layout.hpp>
#include <introspect/store/meta.hpp>
#include <introspect/store/segment.hpp>

namespace introspect::inline v1::store {

//! One frame as a cursor yields it: time, kind, flags and the encoded payload (the decoded
//! record is `introspect::record_view`); `payload` stays valid until the cursor's next call.
struct frame_view {
  offset_t offset = 0;
  std::int64_t ts_ns = 0;
  std::uint8_t kind = 0;
  std::uint8_t flags = 0;
  std::span<const std::byte> payload;
  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

//! Where a cursor starts: an offset, a time (records with ts < since are skipped), or both.
struct cursor_options {
  offset_t from_offset = 0;
  std::optional<std::int64_t> since_ts;
};

//! What a cursor skipped.
struct read_stats {
  std::uint64_t records = 0;
  std::uint64_t skipped_ranges = 0;
  std::uint64_t skipped_bytes = 0;
  std::vector<damage> damages;  //!< path + file offset of each skipped range
  //! Files skipped because they could not be read (path + errno), each once; the cursor goes
  //! on with the next segment. A stream whose truncation point is unreadable is refused here.
  std::vector<read_error> errors;
};

//! Sequential reader of one stream; next() returns false at the current end and may be called
//! again later to follow a live writer.
class cursor {
 public:
  cursor(std::filesystem::path stream_dir, cursor_options o)
      : dir_(std::move(stream_dir)), since_(o.since_ts), target_(o.from_offset) {
    sc_.frame_crcs(false);  // a frame_view has no CRC field: compressed blocks skip computing it
  }

  bool next(frame_view& out) {
    bool retried = false;
    for (;;) {
      if (!sc_.is_open() && !open_next()) return false;
      detail::scanned_frame f;
      damage& d = scratch_damage_;  // reused: a path and a string per call cost more than a frame
      switch (sc_.next(f, d)) {
        case detail::segment_scanner::step::frame: {
          auto off = sc_.offset_of(f.pos);
          if (off < target_) continue;
          target_ = off + f.size();
          if (trunc_.hides(off, f.header.ts_ns) || (since_ && f.header.ts_ns < *since_)) continue;
          out = {off, f.header.ts_ns, f.header.kind, f.header.flags,
                 std::span<const std::byte>(f.payload, f.header.length)};
          ++stats_.records;
          return true;
        }
        case detail::segment_scanner::step::damage:
          note(d);
          target_ = std::max(target_, sc_.offset_of(d.file_offset + d.bytes));
          continue;
        case detail::segment_scanner::step::end: {
          if (sc_.refresh_size() && !retried) {
            retried = true;
            continue;
          }
          if (sc_.error()) {
            // A read failed: the rest of this segment is unknown. Report it, go on after it.
            note_error({sc_.path(), sc_.error(), "read"});
            auto segs = list_reporting();
            auto it = std::upper_bound(segs.begin(), segs.end(), sc_.first(),
                                       [](offset_t v, auto& s) { return v < s.first; });
            if (it == segs.end()) return false;
            target_ = std::max(target_, it->first);
            sc_.close();
            continue;
          }
          if (!sealed_) {
            auto segs = list_reporting();
            auto it = std::upper_bound(segs.begin(), segs.end(), sc_.first(),
                                       [](offset_t v, auto& s) { return v < s.first; });
            if (it == segs.end()) return false;  // live tail: maybe more later
            // A later segment exists, so this one is complete: look once more, then whatever
            // is still unreadable is damage.
            sealed_ = true;
            next_first_ = it->first;
            sc_.refresh_size();
            continue;
          }
          if (sc_.tail_bytes())
            note({sc_.path(), sc_.pos(), sc_.tail_bytes(),
                  "incomplete frame at end of sealed segment"});
          target_ = std::max(target_, next_first_);
          sc_.close();
          continue;
        }
      }
    }
  }

  const read_stats& stats() const noexcept { return stats_; }
  //! Offset the next record will have at least.
  offset_t position() const noexcept { return target_; }

 private:
  void note(const damage& d) {
    ++stats_.skipped_ranges;
    stats_.skipped_bytes += d.bytes;
    stats_.damages.push_back(d);
  }
  std::vector<detail::segment_file> list_reporting() {
    std::vector<read_error> errs;
    auto segs = detail::list_segments(dir_, nullptr, &errs);
    for (auto& e : errs) note_error(e);
    return segs;
  }
  void note_error(read_error e) {
    for (auto& x : stats_.errors)
      if (x.path == e.path && x.err == e.err) return;
    stats_.errors.push_back(std::move(e));
  }

  // Every record whose ts is at most `max_ts` is skipped (since_ or the truncation time).
  bool hidden_before(std::int64_t max_ts) const noexcept {
    return (since_ && max_ts < *since_) || max_ts < trunc_.ts_ns;
  }

  bool open_next() {
    sealed_ = false;
    auto ts = detail::load_truncation_state(dir_);
    if (ts.unknown) {
      // Fail closed: without its truncation point the stream would show truncated records.
      note_error({dir_ / detail::truncation_name, EBADMSG, "read"});
      return false;
    }
    trunc_ = ts.point;
    target_ = std::max(target_, trunc_.offset);
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::vector<read_error> errs;
      auto segs = detail::list_segments(dir_, nullptr, &errs);
      for (auto& e : errs) note_error(e);
      if (segs.empty()) return false;
      // The segment holding target_, or the first one after it (earlier ones may be gone).
      auto it = std::upper_bound(segs.begin(), segs.end(), target_,
                                 [](offset_t v, auto& s) { return v < s.first; });
      if (it != segs.begin()) --it;
      for (; it != segs.end(); ++it) {
        if (!sc_.open(it->log, it->first)) {
          if (sc_.error() == ENOENT) break;  // removed meanwhile (retention): list again
          // Exists but cannot be read: report it and go on with the next segment.
          note_error({it->log, sc_.error(), "open"});
          if (std::next(it) == segs.end()) return false;
          target_ = std::max(target_, std::next(it)->first);
          continue;
        }
        if (sc_.header_status() != detail::header_check::ok &&
            sc_.header_status() != detail::header_check::short_file)
          note({it->log, 0, detail::segment_header_size, detail::to_string(sc_.header_status())});
        target_ = std::max(target_, it->first);
        bool last = std::next(it) == segs.end();
        auto idx = last ? std::nullopt : detail::load_index(it->idx, it->first, sc_.file_size());
        if (!idx) {
          // The active segment (or one whose .idx is gone): its time index, entries confirmed.
          sc_.seek(detail::tix_start(it->log, dir_ / detail::segment_tix_name(it->first), it->first,
                                     [&](const detail::tix_entry& e) {
                                       return e.offset <= target_ || hidden_before(e.max_ts_before);
                                     }));
          return true;
        }
        if (idx->records == 0 || (since_ && idx->max_ts < *since_) ||
            (idx->records && idx->max_ts < trunc_.ts_ns) || idx->end <= target_) {
          target_ = std::max(target_, std::next(it)->first);
          sc_.close();
          continue;
        }
        offset_t start = it->first;
        for (auto& e : idx->entries) {
          bool skip_ts = hidden_before(e.max_ts_before);
          if (e.offset <= target_ || skip_ts)
            start = std::max(start, e.offset);
          else if (e.offset > target_)
            break;
        }
        sc_.seek(sc_.pos_of(start));
        return true;
      }
    }
    return false;
  }

  std::filesystem::path dir_;
  std::optional<std::int64_t> since_;
  offset_t target_;
  truncation_point trunc_;
  detail::segment_scanner sc_;
  bool sealed_ = false;
  offset_t next_first_ = 0;
  read_stats stats_;
  damage scratch_damage_;
};

//! Summary of one stream as a reader sees it (truncation applied).
struct stream_info {
  std::string scope, name;
  std::uint64_t segments = 0, records = 0, bytes = 0;
  std::int64_t first_ts = 0, last_ts = 0;  //!< 0 when the stream has no visible record
  offset_t first_offset = 0, end_offset = 0;
  truncation_point truncation;
  std::uint64_t damaged_ranges = 0;
  //! Files that could not be read (their records are not counted above).
  std::vector<read_error> errors;
};

//! Opens a store root read-only; needs no lock and never modifies anything.
class reader {
 public:
  explicit reader(std::filesystem::path root) : root_(std::move(root)) {}

  std::vector<std::string> scopes() const {
    std::vector<std::string> out;
    for (auto& s : detail::list_scopes(root_)) out.push_back(s.name);
    return out;
  }
  std::vector<std::string> stream_names(std::string_view scope) const {
    std::vector<std::string> out;
    if (!name_problem(scope).empty()) return out;
    for (auto& s : detail::list_streams(root_ / std::string(scope))) out.push_back(s.name);
    return out;
  }
  //! Counts, bytes and time range per stream; reads sealed segments' indexes, scans the rest.
  std::vector<stream_info> streams(std::string_view scope) const {
    std::vector<stream_info> out;
    for (auto& n : stream_names(scope)) out.push_back(info(scope, n));
    return out;
  }
  stream_info info(std::string_view scope, std::string_view stream) const {
    stream_info si;
    si.scope = std::string(scope);
    si.name = std::string(stream);
    auto dir = root_ / std::string(scope) / std::string(stream);
    auto ts = detail::load_truncation_state(dir);
    if (ts.unknown) {
      si.errors.push_back({dir / detail::truncation_name, EBADMSG, "read"});
      return si;
    }
    si.truncation = ts.point;
    auto segs = detail::list_segments(dir, nullptr, &si.errors);
    bool any = false;
    auto see = [&](offset_t off, std::int64_t ts, std::uint64_t size) {
      if (!any) si.first_offset = off, si.first_ts = si.last_ts = ts;
      any = true;
      ++si.records;
      si.first_ts = std::min(si.first_ts, ts);
      si.last_ts = std::max(si.last_ts, ts);
      si.end_offset = off + size;
    };
    for (std::size_t i = 0; i < segs.size(); ++i) {
      struct stat st {};
      if (::lstat(segs[i].log.c_str(), &st) != 0) {
        if (errno != ENOENT) si.errors.push_back({segs[i].log, errno, "open"});
        continue;
      }
      ++si.segments;
      si.bytes += static_cast<std::uint64_t>(st.st_size);
      if (i + 1 < segs.size()) {
        auto idx = detail::load_index(
            segs[i].idx, segs[i].first,
            detail::logical_segment_size(segs[i].log, static_cast<std::uint64_t>(st.st_size)));
        if (idx && idx->records && idx->end <= si.truncation.offset) continue;
        if (idx && idx->records && idx->max_ts < si.truncation.ts_ns) continue;
        if (idx && idx->records && segs[i].first >= si.truncation.offset &&
            idx->min_ts >= si.truncation.ts_ns) {
          // Counted from its index, but only if a reader can open it too.
          detail::unique_fd probe(
              detail::sys::open(segs[i].log.c_str(), O_RDONLY | detail::no_follow));
          if (!probe) {
            if (errno != ENOENT) si.errors.push_back({segs[i].log, errno, "open"});
            continue;
          }
          if (!any)
            si.first_offset = segs[i].first, si.first_ts = idx->min_ts, si.last_ts = idx->max_ts;
          any = true;
          si.records += idx->records;
          si.first_ts = std::min(si.first_ts, idx->min_ts);
          si.last_ts = std::max(si.last_ts, idx->max_ts);
          si.end_offset = idx->end;
          continue;
        }
      }
      detail::segment_scanner sc;
      sc.frame_crcs(false);
      if (!sc.open(segs[i].log, segs[i].first)) {
        if (sc.error() != ENOENT) si.errors.push_back({segs[i].log, sc.error(), "open"});
        continue;
      }
      detail::scanned_frame f;
      damage d;
      for (;;) {
        auto step = sc.next(f, d);
        if (step == detail::segment_scanner::step::end) {
          if (sc.error()) si.errors.push_back({segs[i].log, sc.error(), "read"});
          break;
        }
        if (step == detail::segment_scanner::step::damage) {
          ++si.damaged_ranges;
          continue;
        }
        auto off = sc.offset_of(f.pos);
        if (!si.truncation.hides(off, f.header.ts_ns)) see(off, f.header.ts_ns, f.size());
      }
    }
    if (!any && !segs.empty())
      si.first_offset = si.end_offset = std::max(si.truncation.offset, segs.back().first);
    return si;
  }

  //! A cursor over `stream` of `scope`; throws name_error for invalid names.
  cursor open(std::string_view scope, std::string_view stream, cursor_options o = {}) const {
    validate_name(scope, "scope");
    validate_name(stream, "stream");
    return cursor(root_ / std::string(scope) / std::string(stream), o);
  }

  std::optional<std::vector<std::byte>> get_meta(std::string_view scope, std::string_view name,
                                                 std::string* why = nullptr) const {
    if (!name_problem(scope).empty()) return std::nullopt;
    return detail::read_meta(root_ / std::string(scope), name, why);
  }
  std::vector<std::string> meta_names(std::string_view scope) const {
    if (!name_problem(scope).empty()) return {};
    return detail::list_meta(root_ / std::string(scope));
  }

  //! Directories of the store that could not be listed (root, scopes, streams), with errno:
  //! scopes(), stream_names() and streams() leave out what is listed here.
  std::vector<read_error> listing_errors() const {
    std::vector<read_error> out;
    for (auto& sc : detail::list_scopes(root_, nullptr, &out))
      for (auto& st : detail::list_streams(sc.dir, nullptr, &out))
        (void)detail::list_segments(st.dir, nullptr, &out);
    return out;
  }

  //! Every file or directory in the store that is not the store's own; all are ignored.
  std::vector<foreign_file> foreign_files() const {
    std::vector<foreign_file> out;
    for (auto& sc : detail::list_scopes(root_, &out)) {
      detail::list_meta(sc.dir, &out);
      for (auto& st : detail::list_streams(sc.dir, &out)) detail::list_segments(st.dir, &out);
    }
    return out;
  }
  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace introspect::inline v1::store
