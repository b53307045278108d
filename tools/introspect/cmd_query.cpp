// introspect query: the matching records in time order, or aggregates of them.
#include <deque>

#include <introspect/core/clock.hpp>
#include <introspect/query/agg/aggregate.hpp>
#include <introspect/query/read/unordered_scan.hpp>
#include <introspect/query/time_arg.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

std::optional<qagg::agg_spec> make_agg(const query_args& q, const qexpr::record_filter& f) {
  if (q.agg.empty()) {
    if (!q.by.empty()) throw usage_error{"--by \"" + q.by + "\": needs --agg"};
    if (!q.every.empty()) throw usage_error{"--every \"" + q.every + "\": needs --agg"};
    if (!q.field.empty()) throw usage_error{"--field \"" + q.field + "\": needs --agg"};
    return std::nullopt;
  }
  qagg::agg_spec spec;
  auto fn = qagg::parse_agg_fn(q.agg);
  if (!fn)
    throw usage_error{"--agg \"" + q.agg +
                      "\": unknown function (use count, sum, min, max, avg, p50, p90, p99, rate, "
                      "increase)"};
  spec.fn = *fn;
  if (!q.by.empty()) {
    auto by = qexpr::parse_field_ref(q.by);
    if (!by)
      throw usage_error{"--by \"" + q.by +
                        "\": unknown field (known: " + std::string(qexpr::known_fields) + ")"};
    spec.by = *by;
  }
  if (!q.field.empty()) {
    // A bare key is a field of the record (p99 is fields.p99).
    auto fr = qexpr::parse_field_ref(q.field);
    if (!fr || fr->which != qexpr::field_ref::part::field)
      fr = qexpr::parse_field_ref("fields." + q.field);
    if (!fr) throw usage_error{"--field \"" + q.field + "\": not a field name"};
    spec.field = *fr;
  }
  if (!q.every.empty()) {
    auto d = ix::query::parse_duration(q.every);
    if (!d) throw usage_error{"--every \"" + q.every + "\": not a duration (like 10s, 1m, 1h)"};
    spec.every_ns = *d;
  }
  spec.since_ns = f.since_ns;
  spec.until_ns = f.until_ns;
  return spec;
}

// Warnings after a query: what was skipped, and histograms whose interval is unknown.
void warn_skipped(const qread::damage_log& log) {
  if (log.count())
    std::fprintf(stderr,
                 "introspect: query: skipped %llu damaged or unreadable part(s) of the store "
                 "(listed above); the result leaves them out\n",
                 static_cast<unsigned long long>(log.count()));
}

}  // namespace

int cmd_query(const filter_args& fa, const query_args& qa, const output_args& oa) {
  const auto now = ix::realtime_ns();
  const auto format = make_format(oa.format);
  const auto filter = make_filter(fa, now);
  const auto agg_spec = make_agg(qa, filter);
  if (agg_spec && (oa.reverse || oa.limit))
    throw usage_error{std::string(oa.reverse ? "-r" : "--limit") +
                      ": lists records; not with --agg"};
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  std::uint64_t matched = 0, seen = 0;
  auto names = filter.name_cache();
  if (agg_spec) {
    // Aggregates do not depend on order: streams are scanned in place, not merged.
    qagg::aggregator agg(*agg_spec);
    {
      progress prog("query");
      qread::for_each_unordered(set, streams, filter.hint(), log, [&](const auto& r) {
        prog.tick(++seen);
        if (!filter.matches(r, names)) return;
        ++matched;
        agg.add(r);
      });
    }
    const auto rows = agg.rows();
    bool missing = false;
    for (const auto& r : rows) missing = missing || r.missing_buckets;
    output_sink out(oa, format, fa.utc);
    auto w = qout::make_writer(format, out.file(), out.style());
    w->write(rows, *agg_spec);
    w->finish();
    if (missing)
      std::fprintf(stderr,
                   "introspect: query: some histogram snapshots have no bucket counts (written "
                   "before they were stored): their interval %s is unknown (shown empty); "
                   "--field p99 gives the stored since-start value\n",
                   std::string(qagg::to_string(agg_spec->fn)).c_str());
  } else {
    auto src = set.open(streams, filter.hint(), log);
    output_sink out(oa, format, fa.utc);
    auto w = qout::make_writer(format, out.file(), out.style());
    ix::record r;
    if (oa.reverse) {
      // Newest first: keep the latest `limit` (or all), then print them backwards.
      std::deque<ix::record> kept;
      {
        progress prog("query");
        while (src->next(r)) {
          prog.tick(++seen);
          if (!filter.matches(r, names)) continue;
          ++matched;
          kept.push_back(r);
          if (oa.limit && kept.size() > oa.limit) kept.pop_front();
        }
      }
      for (auto it = kept.rbegin(); it != kept.rend(); ++it) w->write(*it);
    } else {
      progress prog("query");
      while (src->next(r)) {
        prog.tick(++seen);
        if (!filter.matches(r, names)) continue;
        ++matched;
        w->write(r);
        if (oa.limit && matched >= oa.limit) break;
      }
    }
    w->finish();
  }
  std::fflush(stdout);
  warn_skipped(log);
  if (!matched) explain_empty_range(fa, filter);
  return matched ? 0 : 1;
}

}  // namespace ixcli
