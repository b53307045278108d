// introspect insights: the insight rules run offline over any store (insight::replay drives
// insight::full_engine in time order, evaluating at each period as the online writer does).
#include <map>
#include <memory>
#include <string>

#include <introspect/core/clock.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/replay.hpp>
#include <introspect/insight/rules_file.hpp>

#include "common.hpp"

namespace ixcli {

int cmd_insights(const filter_args& fa, const std::string& rules, const std::string& fmt) {
  namespace insight = introspect::insight;
  const auto format = make_format(fmt);
  auto f = make_filter(fa, ix::realtime_ns());
  // Rules look at every kind they name (meta included: drop counts); insights already in the
  // store are the online engine's conclusions, not evidence.
  if (fa.kinds.empty()) f.kinds = ~0u;
  f.kinds &= ~(1u << static_cast<unsigned>(ix::record_kind::insight));
  f.tables = true;  // the state table tells a rule the state at the start of a file
  insight::config<insight::all_rules> cfg;
  if (rules.empty()) {
    cfg = insight::default_config();
  } else {
    auto parsed = insight::load_rules_file<insight::all_rules>(rules);
    if (!parsed.ok())
      throw usage_error{"--rules \"" + rules + "\": bad rules file:\n" + parsed.error_text()};
    cfg = std::move(parsed.cfg);
  }
  // One engine per instance: rules conclude about one product instance from its own records
  // (as the online engine does inside it), even when several stores are read together.
  struct per_instance {
    explicit per_instance(const insight::config<insight::all_rules>& c)
        : engine(c), replay(engine) {}
    insight::full_engine engine;
    insight::replay<insight::full_engine> replay;
  };
  std::map<std::string, std::unique_ptr<per_instance>> engines;

  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  auto src = set.open(streams, f.hint(), log);
  auto w = ix::make_record_writer(format, stdout);
  std::uint64_t seen = 0, found = 0;
  const std::string* instance = nullptr;
  ix::record shown;
  auto emit = [&](const ix::record& ins) {
    ++found;
    shown = ins;
    shown.instance = *instance;
    w->write(shown);
  };
  progress prog("insights");
  ix::record r;
  while (src->next(r)) {
    prog.tick(++seen);
    if (!f.matches(r)) continue;
    auto& e = engines[r.instance];
    if (!e) e = std::make_unique<per_instance>(cfg);
    instance = &r.instance;
    e->replay.observe(r, emit);
  }
  for (auto& [name, e] : engines) {
    instance = &name;
    e->replay.finish(emit);
  }
  w->finish();
  std::fflush(stdout);
  for (auto& [name, e] : engines)
    for (const auto& d : e->engine.diagnostics())
      std::fprintf(stderr, "introspect: insights: %s: %s: %s\n", name.c_str(), d.rule.c_str(),
                   d.message.c_str());
  return found ? 0 : 1;
}

}  // namespace ixcli
