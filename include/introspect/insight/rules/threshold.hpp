#pragma once
//! Rule `threshold`: a value beyond a level for a minimum duration, cleared with hysteresis.
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! Opens when a value (or a numeric field) of records named like `metric` goes above `above`
//! (or below `below`) and stays beyond it for `for`; closes when it comes back past `clear`.
struct threshold {
  static constexpr std::string_view type_name = "threshold";

  struct params {
    std::string metric;
    std::string kind = "any";
    std::string source = "*";
    std::string field;
    std::optional<double> above;
    std::optional<double> below;
    std::optional<double> clear;
    duration min_duration{};
  };

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.required("metric", p.metric, "name glob of the records whose value is watched");
    v.optional("kind", p.kind, "record kind to watch, or \"any\"");
    v.optional("source", p.source, "source glob");
    v.optional("field", p.field, "numeric field to watch instead of the value");
    v.optional("above", p.above, "fires when the value goes above this level");
    v.optional("below", p.below, "fires when the value goes below this level");
    v.optional("clear", p.clear, "closes when the value comes back past this level (hysteresis)");
    v.optional("for", p.min_duration, "minimum time beyond the level before the insight opens");
  }

  static std::optional<param_error> validate(const params& p) {
    if (p.above.has_value() == p.below.has_value())
      return param_error{"above", "exactly one of \"above\" or \"below\" is required"};
    if (!kind_filter_valid(p.kind)) return param_error{"kind", "expected a record kind or \"any\""};
    if (p.clear && p.above && *p.clear > *p.above)
      return param_error{"clear", "must not be above \"above\" (hysteresis)"};
    if (p.clear && p.below && *p.clear < *p.below)
      return param_error{"clear", "must not be below \"below\" (hysteresis)"};
    if (p.min_duration.ns < 0) return param_error{"for", "must not be negative"};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (!kind_matches(p.kind, k.kind) || !name_matches(p.source, k.source) ||
        !name_matches(p.metric, k.name))
      return std::nullopt;
    return match{std::string{k.name}};
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.min_duration.ns; }

  struct state {
    std::string subject;
    bool pending = false;  // beyond the level since `since`, not yet cleared
    std::int64_t since = 0;
    double value = 0;
    double peak = 0;
    std::int64_t last_ts = 0;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    const auto x = numeric(r, p.field);
    if (!x) return false;
    s.value = *x;
    s.last_ts = r.ts_ns;
    const bool up = p.above.has_value();
    const double level = up ? *p.above : *p.below;
    const double clear = p.clear.value_or(level);
    if (up ? *x > level : *x < level) {
      if (!s.pending) {
        s.pending = true;
        s.since = r.ts_ns;
        s.peak = *x;
      } else if (up ? *x > s.peak : *x < s.peak) {
        s.peak = *x;
      }
      if (r.ts_ns - s.since >= p.min_duration.ns) open(p, s, ep);
    } else if (up ? *x <= clear : *x >= clear) {
      s.pending = false;
      ep.close(r.ts_ns, *x, [&](evidence& e) {
        fill(p, s, e);
        e.message = fmt::format("{} back to {:g} (clear level {:g}) after {}", s.subject, s.value,
                                clear, human_duration(r.ts_ns - ep.onset()));
      });
    }
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    // No record since: the value stays where it was, so the duration keeps running.
    if (s.pending && !ep.is_open() && ctx.now - s.since >= p.min_duration.ns) open(p, s, ep);
    if (ep.is_open())
      ep.update(s.peak, ctx, [&](evidence& e) {
        fill(p, s, e);
        e.message = sentence(p, s);
      });
  }

 private:
  static void open(const params& p, state& s, episode& ep) {
    ep.open(s.since, s.peak, [&](evidence& e) {
      fill(p, s, e);
      e.message = sentence(p, s);
    });
  }
  static std::string sentence(const params& p, const state& s) {
    const bool up = p.above.has_value();
    return fmt::format("{} {} {:g} (peak {:g}, now {:g})", s.subject, up ? "above" : "below",
                       up ? *p.above : *p.below, s.peak, s.value);
  }
  static void fill(const params& p, const state& s, evidence& e) {
    e.add("value", s.value);
    e.add("peak", s.peak);
    e.add("level", p.above ? *p.above : *p.below);
    e.add("trigger_name", std::string_view{s.subject});
    e.add("trigger_ts", s.since);
    e.add("last_ts", s.last_ts);
  }
};

}  // namespace introspect::inline v1::insight
