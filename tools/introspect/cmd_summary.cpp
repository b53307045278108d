// introspect summary: the first screen of a support case (report/summary.hpp): instances, time
// span, records by kind and severity, every insight episode (the rules replayed offline, as
// `introspect insights` does), silent components, the state keys that changed most, drops and
// damage. Text for a person (UTC), -o json for tools. Exit 0; 1 when the store holds nothing.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <introspect/core/clock.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/query/read/unordered_scan.hpp>
#include <introspect/report/summary.hpp>

#include "common.hpp"
#include "report_input.hpp"
#include "support.hpp"

namespace ixcli {

report_input read_for_report(const filter_args& fa) {
  report_input in;
  auto f = make_filter(fa, ix::realtime_ns());
  // Every kind (meta: drop counters) unless -k says otherwise; table lines tell the rules the
  // state at the start of a file; -p limits what is shown, not what the rules see.
  if (fa.kinds.empty()) f.kinds = ~0u;
  f.tables = true;
  f.min_severity.reset();
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  for (const auto& p : bundle_problems()) in.damage.push_back(p);
  qread::damage_log log{[&](const qread::damage& d) {
    if (in.damage.size() < 1000) in.damage.push_back(display_path(d.to_string()));
  }};
  // Streams are read in place, one after another (the aggregates' unordered scan): the
  // collector puts in time order only what needs it, and replays the rules over just the
  // records they read (report/rule_feed.hpp).
  ix::report::collector c{ix::insight::default_config()};
  progress prog{"reading"};
  std::uint64_t n = 0;
  auto names = f.name_cache();
  qread::for_each_unordered(set, streams, f.hint(), log, [&](const auto& r) {
    prog.tick(++n);
    if (f.matches(r, names)) c.add(r);
  });
  in.result = c.finish();
  return in;
}

int cmd_summary(const filter_args& fa, const output_args& oa) {
  if (oa.format != "text" && oa.format != "json" && oa.format != "table")
    throw usage_error{"-o \"" + oa.format + "\": unknown format (use text or json)"};
  const auto input = read_for_report(fa);
  const auto& a = input.result;
  if (oa.format == "json") {
    const auto j = ix::report::summary_json(a, input.damage);
    std::fwrite(j.data(), 1, j.size(), stdout);
    return a.records ? 0 : 1;
  }
  ix::report::summary_style st;
  const char* term = std::getenv("TERM");
  st.color =
      oa.color == "always" || (oa.color == "auto" && ::isatty(1) == 1 && !std::getenv("NO_COLOR") &&
                               !(term && std::string_view{term} == "dumb"));
  const auto t = ix::report::summary_text(a, input.damage, st);
  std::fwrite(t.data(), 1, t.size(), stdout);
  return a.records ? 0 : 1;
}

}  // namespace ixcli
