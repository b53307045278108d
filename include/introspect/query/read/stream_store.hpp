#pragma once
//! The stream store read back (store/reader.hpp): one logical, time-ordered view per instance
//! (scope) whatever the mapping — a single stream "all" or a stream per kind — and several
//! instances merged. Payloads decode with codec/binary.hpp; damaged frames are reported as
//! `path@offset: reason`, skipped and counted.
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/core/kind.hpp>
#include <introspect/query/read/merge_cursor.hpp>
#include <introspect/query/read/reorder_cursor.hpp>
#include <introspect/query/read/store_reader.hpp>
#include <introspect/query/read/tie_order_cursor.hpp>
#include <introspect/store/files.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::query::read {

//! True if `dir` is a stream-store root: it holds a scope directory (one with a `.scope`
//! marker, see store/layout.hpp).
inline bool is_stream_store(const std::filesystem::path& dir) { return store::holds_scopes(dir); }

//! True if `dir` is one scope of a stream store (it holds the `.scope` marker itself).
inline bool is_stream_store_scope(const std::filesystem::path& dir) { return store::is_scope(dir); }

//! Whether a stream of a scope can hold records of kind `k`: the stream "all" (and any stream
//! not named after a kind) can hold every kind; a stream named after a kind holds only it.
inline bool stream_may_hold(std::string_view stream, const read_hint& hint) {
  const auto k = parse_record_kind(stream);
  return !k || hint.wants(*k);
}

//! How much of a cursor's damage and read errors a caller has already reported.
struct cursor_reported {
  std::size_t damages = 0;
  std::size_t errors = 0;
};

//! Reports the ranges `c` skipped and the files it could not read (path + errno) since the last
//! call: an unreadable segment is skipped by the cursor, and must never read as "no records".
inline void report_cursor_damage(const store::cursor& c, cursor_reported& reported,
                                 damage_log& log) {
  const auto& ds = c.stats().damages;
  const auto& es = c.stats().errors;
  if (reported.damages == ds.size() && reported.errors == es.size()) [[likely]]
    return;
  for (; reported.damages < ds.size(); ++reported.damages) {
    const auto& d = ds[reported.damages];
    log.report(d.path.string(), 0, d.file_offset,
               d.reason + " (" + std::to_string(d.bytes) + " bytes skipped)");
  }
  for (; reported.errors < es.size(); ++reported.errors) {
    const auto& e = es[reported.errors];
    log.report(e.path.string(), 0, 0,
               "cannot " + e.action + ": " + std::strerror(e.err) + " (skipped)");
  }
}

//! Reports a checksum-valid frame whose payload does not decode (it is skipped).
inline void report_undecodable(const std::string& path, const store::frame_view& v,
                               damage_log& log) {
  log.report(path, 0, v.offset,
             "record at stream offset " + std::to_string(v.offset) + ": payload does not decode (" +
                 std::to_string(v.payload.size()) + " bytes)");
}

//! A record_cursor over one stream's cursor: decodes each frame's payload into a record with
//! ts and kind from the frame and instance = the scope. next() returns false at the current
//! end; called again later it returns what a live writer appended meanwhile.
class stream_store_cursor final : public record_cursor {
 public:
  stream_store_cursor(store::cursor c, std::string scope, std::string path, damage_log& log)
      : cur_(std::move(c)), scope_(std::move(scope)), path_(std::move(path)), log_(&log) {}

  bool next(record& out) override {
    store::frame_view v;
    for (;;) {
      const bool got = cur_.next(v);
      report_cursor_damage(cur_, reported_, *log_);
      if (!got) return false;
      if (!codec::decode(v.text(), out)) {
        report_undecodable(path_, v, *log_);
        continue;
      }
      out.ts_ns = v.ts_ns;
      out.kind = static_cast<record_kind>(v.kind);
      out.instance = scope_;
      return true;
    }
  }

  //! The offset the next record will have at least.
  store::offset_t position() const noexcept { return cur_.position(); }

 private:
  store::cursor cur_;
  std::string scope_, path_;
  damage_log* log_;
  cursor_reported reported_;
};

//! The view of one instance: its streams' records restored to time order (a writer stamps
//! before it appends, so neighbours can be slightly out of order), merged, and records of one
//! instant put in kind order so that every mapping reads the same.
inline std::unique_ptr<record_cursor> instance_view(
    std::vector<std::unique_ptr<record_cursor>> streams) {
  for (auto& s : streams) s = std::make_unique<reorder_cursor>(std::move(s));
  return std::make_unique<tie_order_cursor>(merge_all(std::move(streams)));
}

//! A stream store (its root, or one scope directory of it) as a store_reader.
class stream_store_reader final : public store_reader {
 public:
  //! `dir` is the store root, or a scope directory (then only that scope is read).
  explicit stream_store_reader(const std::filesystem::path& dir)
      : reader_(is_stream_store_scope(dir) ? dir.parent_path() : dir) {
    if (is_stream_store_scope(dir)) only_scope_ = dir.filename().string();
  }

  std::string_view format() const noexcept override { return "stream-store"; }

  //! The scopes read (every scope of the root, or the one given).
  std::vector<std::string> scopes() const {
    if (only_scope_) return {*only_scope_};
    return reader_.scopes();
  }

  std::vector<stream_desc> streams() const override {
    std::vector<stream_desc> out;
    for (const auto& sc : scopes())
      for (const auto& st : reader_.stream_names(sc)) {
        stream_desc d;
        d.scope = sc;
        d.name = st;
        const auto dir = reader_.root() / sc / st;
        d.path = dir.string();
        std::error_code ec;
        for (auto it = std::filesystem::directory_iterator(dir, ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
          if (it->is_regular_file(ec)) d.bytes += it->file_size(ec);
        out.push_back(std::move(d));
      }
    return out;
  }

  std::unique_ptr<record_cursor> open(const std::vector<stream_desc>& selected,
                                      const read_hint& hint, damage_log& log) const override {
    std::map<std::string, std::vector<std::unique_ptr<record_cursor>>> per_scope;
    for (const auto& d : selected) {
      if (!stream_may_hold(d.name, hint)) continue;  // a per-kind stream of an unwanted kind
      per_scope[d.scope].push_back(open_stream(d, hint, log));
    }
    std::vector<std::unique_ptr<record_cursor>> views;
    for (auto& [scope, streams] : per_scope) views.push_back(instance_view(std::move(streams)));
    if (views.empty()) return std::make_unique<vector_cursor>(std::vector<record>{});
    return merge_all(std::move(views));
  }

  //! A cursor source over one stream (not reordered: tail --follow uses it directly).
  std::unique_ptr<stream_store_cursor> open_stream(const stream_desc& d, const read_hint& hint,
                                                   damage_log& log) const {
    return std::make_unique<stream_store_cursor>(open_cursor(d, hint), d.scope, d.path, log);
  }

  //! A cursor over one stream positioned for `hint`.
  store::cursor open_cursor(const stream_desc& d, const read_hint& hint) const {
    store::cursor_options o;
    // A stream may be slightly out of order: start a little early, the query filters exactly.
    if (hint.since_ns != std::numeric_limits<std::int64_t>::min())
      o.since_ts = hint.since_ns > std::numeric_limits<std::int64_t>::min() + slack_ns
                       ? hint.since_ns - slack_ns
                       : hint.since_ns;
    return reader_.open(d.scope, d.name, o);
  }

  const store::reader& raw() const noexcept { return reader_; }

 private:
  static constexpr std::int64_t slack_ns = 1'000'000'000;
  store::reader reader_;
  std::optional<std::string> only_scope_;
};

}  // namespace introspect::inline v1::query::read
