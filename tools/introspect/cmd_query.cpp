// introspect query: the matching records in time order, or aggregates of them.
#include <introspect/core/clock.hpp>
#include <introspect/query/aggregate.hpp>
#include <introspect/query/time_arg.hpp>
#include <introspect/query/unordered_scan.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

std::optional<ix::agg_spec> make_agg(const query_args& q, const ix::record_filter& f) {
  if (q.agg.empty()) {
    if (!q.by.empty()) throw usage_error{"--by \"" + q.by + "\": needs --agg"};
    if (!q.every.empty()) throw usage_error{"--every \"" + q.every + "\": needs --agg"};
    return std::nullopt;
  }
  ix::agg_spec spec;
  auto fn = ix::parse_agg_fn(q.agg);
  if (!fn)
    throw usage_error{"--agg \"" + q.agg +
                      "\": unknown function (use count, sum, min, max, avg, p50, p90, p99, rate)"};
  spec.fn = *fn;
  if (!q.by.empty()) {
    auto by = ix::parse_field_ref(q.by);
    if (!by)
      throw usage_error{"--by \"" + q.by +
                        "\": unknown field (known: " + std::string(ix::known_fields) + ")"};
    spec.by = *by;
  }
  if (!q.every.empty()) {
    auto d = ix::parse_duration(q.every);
    if (!d) throw usage_error{"--every \"" + q.every + "\": not a duration (like 10s, 1m, 1h)"};
    spec.every_ns = *d;
  }
  spec.since_ns = f.since_ns;
  spec.until_ns = f.until_ns;
  return spec;
}

}  // namespace

int cmd_query(const filter_args& fa, const query_args& qa) {
  const auto now = ix::realtime_ns();
  const auto filter = make_filter(fa, now);
  const auto format = make_format(qa.format);
  const auto agg_spec = make_agg(qa, filter);
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  progress prog("query");
  std::uint64_t matched = 0, seen = 0;
  auto names = filter.name_cache();
  if (agg_spec) {
    // Aggregates do not depend on order: streams are scanned in place, not merged.
    ix::aggregator agg(*agg_spec);
    ix::for_each_unordered(set, streams, filter.hint(), log, [&](const auto& r) {
      prog.tick(++seen);
      if (!filter.matches(r, names)) return;
      ++matched;
      agg.add(r);
    });
    ix::write_agg_rows(agg.rows(), *agg_spec, format, stdout);
  } else {
    auto src = set.open(streams, filter.hint(), log);
    auto w = ix::make_record_writer(format, stdout);
    ix::record r;
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r, names)) continue;
      ++matched;
      w->write(r);
    }
    w->finish();
  }
  std::fflush(stdout);
  return matched ? 0 : 1;
}

}  // namespace ixcli
