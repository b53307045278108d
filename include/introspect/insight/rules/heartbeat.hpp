#pragma once
//! Rule `heartbeat`: no record from a source (or a component's names) for longer than T.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! Every subject seen (a source, a name, or a name prefix: `by`) is expected to keep sending
//! records; the insight opens when one is silent for longer than `timeout` (onset = its last
//! record) and closes when it sends again (end = that record). Subjects never seen are unknown.
struct heartbeat {
  static constexpr std::string_view type_name = "heartbeat";

  struct params {
    std::string source = "*";
    std::string name = "*";
    std::string kind = "any";
    std::string by = "source";
    std::int64_t depth = 1;
    std::string separators = "./";
    duration timeout{};
    bool require_change = false;
    bool tables = false;
  };

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.optional("source", p.source, "source glob");
    v.optional("name", p.name, "name glob");
    v.optional("kind", p.kind, "record kind, or \"any\"");
    v.optional("by", p.by, "\"source\", \"name\", \"prefix\" or \"all\": what must keep sending");
    v.optional("depth", p.depth, "prefix: how many name segments make the component");
    v.optional("separators", p.separators, "prefix: the characters between name segments");
    v.required("timeout", p.timeout, "silence longer than this opens the insight");
    v.optional("require_change", p.require_change,
               "only a record whose value differs from the subject's previous one is a sign of "
               "life (a heartbeat counter that a periodic snapshot repeats); use with by: name");
    v.optional("tables", p.tables,
               "count state-table lines (periodic repeats of every state) as signs of life");
  }

  static std::optional<param_error> validate(const params& p) {
    if (p.timeout.ns <= 0) return param_error{"timeout", "must be positive"};
    if (p.by != "source" && p.by != "name" && p.by != "prefix" && p.by != "all")
      return param_error{"by", "expected \"source\", \"name\", \"prefix\" or \"all\""};
    if (p.depth < 1) return param_error{"depth", "must be at least 1"};
    if (!kind_filter_valid(p.kind)) return param_error{"kind", "expected a record kind or \"any\""};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (!kind_matches(p.kind, k.kind) || !name_matches(p.source, k.source) ||
        !name_matches(p.name, k.name))
      return std::nullopt;
    return match{*subject_of(p.by, k, p.depth, p.separators)};
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.timeout.ns; }

  struct state {
    std::string subject;
    bool seen = false;
    std::int64_t last_seen = 0;
    std::string last_name;
    std::int64_t resumed = 0;
    value last_value;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    if (!p.tables && (r.flags & flag_table)) return false;
    if (p.require_change) {
      if (s.seen && same_value(s.last_value, r.val)) return true;
      s.last_value = to_value(r.val);
    }
    if (s.seen && r.ts_ns > s.last_seen + p.timeout.ns) {
      // A silence that began and ended between two evaluations is still an insight.
      if (!ep.is_open()) open(p, s, ep, r.ts_ns - s.last_seen);
    }
    if (ep.is_open()) {
      s.resumed = r.ts_ns;
      ep.close(r.ts_ns, static_cast<double>(r.ts_ns - s.last_seen) / 1e9, [&](evidence& e) {
        fill(s, e, r.ts_ns - s.last_seen);
        e.add("resumed_ts", r.ts_ns);
        e.add("resumed_name", std::string_view{r.name});
        e.message = fmt::format("{} sends again after {} of silence", s.subject,
                                human_duration(r.ts_ns - s.last_seen));
      });
    }
    if (!s.seen || r.ts_ns >= s.last_seen) {
      s.last_seen = r.ts_ns;
      s.last_name = r.name;
    }
    s.seen = true;
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    if (!s.seen) return;
    const auto silent = ctx.now - s.last_seen;
    if (!ep.is_open()) {
      if (silent > p.timeout.ns) open(p, s, ep, silent);
      return;
    }
    ep.update(static_cast<double>(silent) / 1e9, ctx, [&](evidence& e) {
      fill(s, e, silent);
      e.message = sentence(s, silent);
    });
  }

 private:
  static void open(const params&, state& s, episode& ep, std::int64_t silent) {
    ep.open(s.last_seen, static_cast<double>(silent) / 1e9, [&](evidence& e) {
      fill(s, e, silent);
      e.message = sentence(s, silent);
    });
  }
  static std::string sentence(const state& s, std::int64_t silent) {
    return fmt::format("no record from {} for {} (last: {} at {})", s.subject,
                       human_duration(silent), s.last_name, format_rfc3339(s.last_seen));
  }
  static void fill(const state& s, evidence& e, std::int64_t silent) {
    e.add("silent_ns", silent);
    e.add("trigger_name", std::string_view{s.last_name});
    e.add("trigger_ts", s.last_seen);
  }
};

}  // namespace introspect::inline v1::insight
