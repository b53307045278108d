// introspect insights: the insight rules run offline over any store (insight::replay drives
// insight::full_engine in time order, evaluating at each period as the online writer does).
// A person gets one line per episode (onset, end or "open", rule, subject, severity, the
// sentence); -o wide adds the evidence; -o json and csv give each episode's last record.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include <introspect/core/clock.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/replay.hpp>
#include <introspect/insight/rules_file.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

std::string text_of(const ix::record& r, std::string_view key) {
  std::string s;
  if (const auto* v = r.find_field(key)) qexpr::append_text(s, ix::to_view(*v));
  return s;
}

std::int64_t int_of(const ix::record& r, std::string_view key, std::int64_t dflt) {
  const auto* v = r.find_field(key);
  return v && ix::to_view(*v).type() == ix::value_type::integer ? ix::to_view(*v).as_int() : dflt;
}

// "30 min", "2 h 5 min": how long the records cover, for the empty-result sentence.
std::string span_text(std::int64_t ns) {
  const auto s = ns / 1'000'000'000;
  if (s < 120) return fmt::format("{} s", s);
  if (s < 7200) return fmt::format("{} min", s / 60);
  if (s < 172800) return fmt::format("{} h {} min", s / 3600, s / 60 % 60);
  return fmt::format("{} days", s / 86400);
}

// The evidence: every field but those the line already shows.
std::string evidence_text(const ix::record& r) {
  std::string s;
  for (const auto& f : r.fields) {
    if (f.key == "state" || f.key == "rule" || f.key == "subject" || f.key == "message" ||
        f.key == "onset" || f.key == "end" || f.key == "episode")
      continue;
    if (!s.empty()) s.push_back(' ');
    s += f.key;
    s.push_back('=');
    qexpr::append_text(s, ix::to_view(f.val));
  }
  return s;
}

}  // namespace

int cmd_insights(const filter_args& fa, const std::string& rules, const output_args& oa) {
  namespace insight = introspect::insight;
  const auto format = make_format(oa.format);
  auto f = make_filter(fa, ix::realtime_ns());
  // Rules look at every kind they name (meta included: drop counts); insights already in the
  // store are the online engine's conclusions, not evidence.
  if (fa.kinds.empty()) f.kinds = ~0u;
  f.kinds &= ~(1u << static_cast<unsigned>(ix::record_kind::insight));
  f.tables = true;         // the state table tells a rule the state at the start of a file
  f.min_severity.reset();  // -p selects the insights shown, not the records rules see
  insight::config<insight::all_rules> cfg;
  if (rules.empty()) {
    cfg = insight::default_config();
  } else {
    auto parsed = insight::load_rules_file<insight::all_rules>(rules);
    if (!parsed.ok())
      throw usage_error{"--rules \"" + rules + "\": bad rules file:\n" + parsed.error_text()};
    cfg = std::move(parsed.cfg);
  }
  std::optional<ix::severity> min_sev;
  if (!fa.priority.empty()) min_sev = make_filter(fa, 0).min_severity;
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
  // An episode's records (open, updates, close) fold into its latest one.
  using episode_key = std::tuple<std::string, std::string, std::string, std::int64_t>;
  std::map<episode_key, ix::record> episodes;
  std::uint64_t seen = 0;
  std::int64_t first = 0, last = 0;
  const std::string* instance = nullptr;
  std::map<episode_key, std::string> opening;  // the sentence that opened each episode
  auto emit = [&](const ix::record& ins) {
    if (min_sev && ins.sev < *min_sev) return;
    const episode_key k{*instance, ins.name, text_of(ins, "subject"), int_of(ins, "episode", 0)};
    auto& e = episodes[k];
    e = ins;
    e.instance = *instance;
    opening.try_emplace(k, text_of(ins, "message"));
  };
  {
    progress prog("insights");
    ix::record r;
    while (src->next(r)) {
      prog.tick(++seen);
      if (!f.matches(r)) continue;
      if (!first) first = r.ts_ns;
      last = r.ts_ns;
      auto& e = engines[r.instance];
      if (!e) e = std::make_unique<per_instance>(cfg);
      instance = &r.instance;
      e->replay.observe(r, emit);
    }
  }
  for (auto& [name, e] : engines) {
    instance = &name;
    e->replay.finish(emit);
  }
  std::vector<const ix::record*> order;
  std::map<const ix::record*, const std::string*> said;
  for (const auto& [k, r] : episodes) order.push_back(&r), said[&r] = &opening[k];
  std::stable_sort(order.begin(), order.end(), [](const ix::record* a, const ix::record* b) {
    return int_of(*a, "onset", a->ts_ns) < int_of(*b, "onset", b->ts_ns);
  });
  {
    output_sink out(oa, format, fa.utc);
    if (format == qout::output_format::table || format == qout::output_format::wide) {
      const bool wide = format == qout::output_format::wide;
      std::vector<std::string> head{"ONSET",   "END",      "INSTANCE", "RULE",
                                    "SUBJECT", "SEVERITY", "INSIGHT"};
      if (wide) head.push_back("EVIDENCE");
      if (!order.empty()) {
        ix::detail::aligned_table t(out.file(), head, {}, out.style().table);
        const auto& st = out.style();
        auto when = [&](std::int64_t ns) {
          return st.local_time ? ix::format_short_time(ns, st.utc) : ix::format_rfc3339(ns);
        };
        for (const auto* r : order) {
          std::vector<std::string> c;
          c.push_back(when(int_of(*r, "onset", r->ts_ns)));
          const auto end = int_of(*r, "end", -1);
          c.push_back(text_of(*r, "state") == "closed" && end >= 0 ? when(end) : "open");
          for (auto s : {std::string_view{r->instance}, std::string_view{r->name}})
            ix::detail::append_printable(c.emplace_back(), s);
          ix::detail::append_printable(c.emplace_back(), text_of(*r, "subject"));
          c.emplace_back(ix::to_string(r->sev));
          ix::detail::append_printable(c.emplace_back(), *said[r]);
          if (wide) ix::detail::append_printable(c.emplace_back(), evidence_text(*r));
          const auto color = r->sev >= ix::severity::error     ? ix::row_color::red
                             : r->sev >= ix::severity::warning ? ix::row_color::yellow
                                                               : ix::row_color::none;
          t.row(std::move(c), color);
        }
        t.finish();
      }
    } else {
      auto w = qout::make_writer(format, out.file(), out.style());
      for (const auto* r : order) w->write(*r);
      w->finish();
    }
  }
  std::fflush(stdout);
  if (order.empty()) {
    // Say what was looked at, so that "nothing found" is an answer, not a puzzle: on stdout
    // for a person (it is the result), on stderr when stdout is data for a tool.
    const bool table = format == qout::output_format::table || format == qout::output_format::wide;
    std::fprintf(table ? stdout : stderr, "%sno insights: %zu rules over %s of records\n",
                 table ? "" : "introspect: ", cfg.rules.size(),
                 seen ? span_text(last - first).c_str() : "0 s");
  }
  // With the built-in rules, a rule whose metric this product does not record matching
  // nothing is normal, not worth a line; with the user's own rules file it may be a typo.
  for (auto& [name, e] : engines)
    for (const auto& d : e->engine.diagnostics())
      if (!rules.empty() || d.message.find(": no record matched") == std::string::npos)
        std::fprintf(stderr, "introspect: insights: %s: %s: %s\n", ix::terminal_safe(name).c_str(),
                     ix::terminal_safe(d.rule).c_str(), ix::terminal_safe(d.message).c_str());
  return order.empty() ? 1 : 0;
}

}  // namespace ixcli
