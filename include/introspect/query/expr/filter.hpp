#pragma once
//! The record filter of `query`, `tail` and `export`: kinds, name globs, a time range and a
//! --where expression. By default introspect's own meta records and the periodic state-table
//! lines are hidden: they repeat what the state changes already say.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <introspect/core/glob.hpp>
#include <introspect/core/record.hpp>
#include <introspect/query/expr/where.hpp>
#include <introspect/query/read/record_cursor.hpp>

namespace introspect::inline v1::query::expr {

//! Which records a query keeps.
struct record_filter {
  //! Bit (1 << kind) per kind kept; the default keeps every kind but meta.
  std::uint32_t kinds = ~0u & ~(1u << static_cast<unsigned>(record_kind::meta));
  bool tables = false;             //!< keep periodic state-table lines (flag_table)
  std::vector<std::string> names;  //!< globs on the name; any may match; empty: all
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();  //!< inclusive
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();  //!< exclusive
  std::optional<where_expr> where;
  //! `-p`: only notifications and insights of this severity or worse.
  std::optional<severity> min_severity;

  //! Keeps only the kinds given (an empty list keeps the default).
  void only_kinds(const std::vector<record_kind>& ks) {
    if (ks.empty()) return;
    kinds = 0;
    for (auto k : ks) kinds |= 1u << static_cast<unsigned>(k);
  }

  //! `r` is a record or a scanned_record.
  template <class R>
  bool matches(const R& r) const {
    if (!matches_but_name(r)) return false;
    if (!names.empty()) {
      bool any = false;
      for (const auto& g : names)
        if (glob_match(g, r.name)) {
          any = true;
          break;
        }
      if (!any) return false;
    }
    return !where || where->matches(r);
  }

  //! matches() with the name globs checked through `cache` (built from `names`): the filter
  //! of long scans, where the same names come back millions of times.
  template <class R>
  bool matches(const R& r, glob_set_cache& cache) const {
    return matches_but_name(r) && cache.matches(r.name) && (!where || where->matches(r));
  }

  //! A cache of the name globs' verdicts, for matches(r, cache).
  glob_set_cache name_cache() const { return glob_set_cache(names); }

  //! What a source may skip for this filter.
  read::read_hint hint() const {
    read::read_hint h;
    h.kinds = kinds;
    if (min_severity)  // only kinds with a severity can match
      h.kinds &= (1u << static_cast<unsigned>(record_kind::notification)) |
                 (1u << static_cast<unsigned>(record_kind::insight));
    h.since_ns = since_ns;
    h.until_ns = until_ns;
    h.tables = tables;
    return h;
  }

 private:
  template <class R>
  bool matches_but_name(const R& r) const {
    if (!(kinds & (1u << static_cast<unsigned>(r.kind)))) return false;
    if ((r.flags & flag_table) && !tables) return false;
    if (min_severity && ((r.kind != record_kind::notification && r.kind != record_kind::insight) ||
                         r.sev < *min_severity))
      return false;
    return r.ts_ns >= since_ns && r.ts_ns < until_ns;
  }
};

}  // namespace introspect::inline v1::query::expr
