#pragma once
//! The scan behind each SQL virtual table (sql/vtab.hpp): the records of a store set that may
//! satisfy the constraints SQLite pushed down (kind, time range, name, stream, instance), read
//! in place stream by stream. Stream-store streams start at the time index's entry for `since`
//! and stop once past `until`; rows visited are counted so that tests can see the pushdown.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/core/glob.hpp>
#include <introspect/query/read/scanned_record.hpp>
#include <introspect/query/read/store_set.hpp>
#include <introspect/query/read/stream_store.hpp>

namespace introspect::inline v1::sql {

//! What a scan may skip: every row it yields still goes through SQLite's own check unless the
//! virtual table said the constraint was handled (name equality, ts_ns bounds).
struct scan_bounds {
  std::uint32_t kinds = ~0u;  //!< bit (1 << kind) per kind wanted
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();  //!< inclusive
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();  //!< exclusive
  std::optional<std::string> name;                                   //!< name equals
  std::string name_prefix;     //!< name starts with (empty: any)
  bool prefix_nocase = false;  //!< the prefix came from LIKE (ASCII case-insensitive)
  std::optional<std::string> stream, instance;

  void since_at_least(std::int64_t t) noexcept { since_ns = std::max(since_ns, t); }
  void until_below(std::int64_t t) noexcept { until_ns = std::min(until_ns, t); }
  bool empty() const noexcept { return since_ns >= until_ns || kinds == 0; }
  query::read::read_hint hint() const noexcept {
    query::read::read_hint h;
    h.kinds = kinds;
    h.since_ns = since_ns;
    h.until_ns = until_ns;
    return h;
  }
  bool wants_name(std::string_view n) const noexcept {
    if (name && n != *name) return false;
    if (name_prefix.size() > n.size()) return false;
    for (std::size_t i = 0; i < name_prefix.size(); ++i) {
      const char a = name_prefix[i], b = n[i];
      if (a == b) continue;
      if (!prefix_nocase || !ascii_eq_nocase(a, b)) return false;
    }
    return true;
  }

 private:
  static bool ascii_eq_nocase(char a, char b) noexcept {
    auto l = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return l(a) == l(b);
  }
};

//! What scans of one connection did, for tests and `introspect_stats()`.
struct scan_counters {
  std::uint64_t rows_visited = 0;   //!< records the store's reader yielded (before filtering)
  std::uint64_t rows_returned = 0;  //!< rows handed to SQLite
};

//! One pass over the streams of a store set that may hold rows within `bounds`.
class store_scan {
 public:
  //! A record seen stream-store streams beyond `until` by this much ends the stream's scan: a
  //! stream is only nearly in time order (stream_store_reader starts this early for `since`).
  static constexpr std::int64_t slack_ns = 1'000'000'000;

  store_scan(const query::read::store_set& set,
             const std::vector<query::read::stream_in_set>& streams, scan_bounds b,
             query::read::damage_log& log, scan_counters& counters)
      : set_(set), bounds_(std::move(b)), log_(log), counters_(counters) {
    if (bounds_.empty()) return;
    for (const auto& s : streams) {
      if (bounds_.stream && s.desc.name != *bounds_.stream) continue;
      if (bounds_.instance && s.desc.scope != *bounds_.instance) continue;
      streams_.push_back(s);
    }
    stop_ns_ = bounds_.until_ns < std::numeric_limits<std::int64_t>::max() - slack_ns
                   ? bounds_.until_ns + slack_ns
                   : std::numeric_limits<std::int64_t>::max();
  }

  //! Moves to the next row; false at the end.
  bool next() {
    for (;;) {
      if (cursor_) {
        if (next_in_cursor()) return ++counters_.rows_returned, true;
        cursor_.reset();
        continue;
      }
      if (source_) {
        if (next_in_source()) return ++counters_.rows_returned, true;
        source_.reset();
        continue;
      }
      if (!open_next()) return false;
    }
  }

  //! The current row; its strings view into the store's bytes until next().
  const query::read::scanned_record& row() const noexcept { return row_; }
  //! The stream the current row came from (empty when the store does not say).
  std::string_view stream() const noexcept { return stream_; }

 private:
  bool keep(record_kind k, std::int64_t ts) const noexcept {
    return (bounds_.kinds & (1u << static_cast<unsigned>(k))) && ts >= bounds_.since_ns &&
           ts < bounds_.until_ns;
  }

  bool next_in_cursor() {
    store::frame_view v;
    for (;;) {
      const bool got = cursor_->next(v);
      query::read::report_cursor_damage(*cursor_, reported_, log_);
      if (!got) return false;
      ++counters_.rows_visited;
      if (v.ts_ns >= stop_ns_) return false;
      const auto kind = static_cast<record_kind>(v.kind);
      if (!keep(kind, v.ts_ns)) continue;
      if (!codec::decode_view(v.text(), row_, fields_)) {
        query::read::report_undecodable(path_, v, log_);
        continue;
      }
      if (!bounds_.wants_name(row_.name)) continue;
      row_.ts_ns = v.ts_ns;
      row_.kind = kind;
      return true;
    }
  }

  bool next_in_source() {
    while (source_->next(owned_)) {
      ++counters_.rows_visited;
      if (!keep(owned_.kind, owned_.ts_ns) || !bounds_.wants_name(owned_.name)) continue;
      if (bounds_.instance && owned_.instance != *bounds_.instance) continue;
      static_cast<record_view&>(row_) = view_of(owned_, fields_);
      row_.instance = owned_.instance;
      return true;
    }
    return false;
  }

  // Opens the next stream (stream stores: read in place) or store (others: their own view).
  bool open_next() {
    const auto& stores = set_.stores();
    while (next_ < streams_.size()) {
      const auto& s = streams_[next_];
      const auto* ss = dynamic_cast<const query::read::stream_store_reader*>(stores[s.store].get());
      if (ss) {
        ++next_;
        if (!query::read::stream_may_hold(s.desc.name, bounds_.hint())) continue;
        cursor_.emplace(ss->open_cursor(s.desc, bounds_.hint()));
        reported_ = {};
        path_ = s.desc.path;
        stream_ = s.desc.name;
        scope_ = s.desc.scope;
        row_.instance = scope_;
        return true;
      }
      // Any other store: every selected stream of it through one view.
      std::vector<query::read::stream_desc> mine;
      const std::size_t store = s.store;
      for (; next_ < streams_.size() && streams_[next_].store == store; ++next_)
        mine.push_back(streams_[next_].desc);
      stream_ = mine.size() == 1 ? mine.front().name : std::string{};
      source_ = stores[store]->open(mine, bounds_.hint(), log_);
      return true;
    }
    return false;
  }

  const query::read::store_set& set_;
  scan_bounds bounds_;
  query::read::damage_log& log_;
  scan_counters& counters_;
  std::vector<query::read::stream_in_set> streams_;
  std::size_t next_ = 0;
  std::int64_t stop_ns_ = std::numeric_limits<std::int64_t>::max();
  std::optional<store::cursor> cursor_;
  std::unique_ptr<query::read::record_cursor> source_;
  query::read::cursor_reported reported_;
  std::string path_, stream_, scope_;
  query::read::scanned_record row_;
  record owned_;
  std::vector<field_view> fields_;
};

}  // namespace introspect::inline v1::sql
