#pragma once
//! for_each_unordered: every record of the selected streams, each stream in its own order and
//! the streams one after another: for aggregates, whose result does not depend on the order.
//! Stream-store streams are read in place (a scanned_record views into each frame: nothing is
//! copied, reordered or merged); other stores go through their record_cursor.
#include <cstdint>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/query/read/scanned_record.hpp>
#include <introspect/query/read/store_set.hpp>
#include <introspect/query/read/stream_store.hpp>

namespace introspect::inline v1::query::read {
namespace detail {

// One stream of a stream store: frames the hint excludes by kind or time are not decoded.
template <class F>
void scan_stream(const stream_store_reader& rd, const stream_desc& d, const read_hint& hint,
                 damage_log& log, F& visit, const std::string& suffix) {
  if (!stream_may_hold(d.name, hint)) return;  // a per-kind stream of an unwanted kind
  auto cur = rd.open_cursor(d, hint);
  scanned_record r;
  const std::string instance = d.scope + suffix;
  r.instance = instance;
  std::vector<field_view> fields;
  store::frame_view v;
  cursor_reported reported;
  for (;;) {
    const bool got = cur.next(v);
    report_cursor_damage(cur, reported, log);
    if (!got) return;
    const auto kind = static_cast<record_kind>(v.kind);
    if (!hint.wants(kind) || v.ts_ns < hint.since_ns || v.ts_ns >= hint.until_ns) continue;
    if (!codec::decode_view(v.text(), r, fields)) {
      report_undecodable(d.path, v, log);
      continue;
    }
    r.ts_ns = v.ts_ns;
    r.kind = kind;
    visit(static_cast<const scanned_record&>(r));
  }
}

}  // namespace detail

//! Calls `visit(r)` for each record of `selected` (r is a `const scanned_record&` for stream
//! stores, a `const record&` otherwise), in no particular order across streams. Records the
//! hint excludes may be skipped; the caller still filters exactly.
template <class F>
void for_each_unordered(const store_set& set, const std::vector<stream_in_set>& selected,
                        const read_hint& hint, damage_log& log, F&& visit) {
  const auto& stores = set.stores();
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const auto mine = store_set::of_store(i, selected);
    if (mine.empty()) continue;
    if (const auto* ss = dynamic_cast<const stream_store_reader*>(stores[i].get())) {
      for (const auto& d : mine)
        detail::scan_stream(*ss, d, hint, log, visit, set.instance_suffix(i));
      continue;
    }
    auto src = stores[i]->open(mine, hint, log);
    record r;
    while (src->next(r)) {
      r.instance += set.instance_suffix(i);
      visit(static_cast<const record&>(r));
    }
  }
}

}  // namespace introspect::inline v1::query::read
