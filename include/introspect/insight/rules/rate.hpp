#pragma once
//! Rule `rate`: a rate of events (e.g. errors per minute) or of a counter above a level.
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <introspect/insight/detail/event_window.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! mode "count": the number of matching records (notifications of `min_severity` or worse by
//! default) per `per`, measured over `window`, above `above`. mode "counter": the increase per
//! `per` of a counter over `window` (resets to a lower value count as restarts from zero); mode
//! "derivative": the same for a gauge, without reset handling. Closes at `clear` or below.
struct rate {
  static constexpr std::string_view type_name = "rate";

  struct params {
    std::string mode = "count";
    std::string name = "*";
    std::string source = "*";
    std::string kind;  // empty: notification for "count", metric otherwise
    std::string field;
    severity min_severity = severity::debug;
    std::string by = "all";
    double above = 0;
    std::optional<double> clear;
    duration per{60'000'000'000};
    duration window{60'000'000'000};
    // Set by prepare(): the mode as flags, so a sample does not compare strings.
    bool is_count = true, is_counter = false;
  };

  static void prepare(params& p) noexcept {
    p.is_count = p.mode == "count";
    p.is_counter = p.mode == "counter";
  }

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.optional("mode", p.mode, "\"count\", \"counter\" or \"derivative\"");
    v.optional("name", p.name, "name glob of the records counted, or of the counter");
    v.optional("source", p.source, "source glob");
    v.optional("kind", p.kind, "record kind (notification for count, metric otherwise)");
    v.optional("field", p.field, "counter/derivative: numeric field instead of the value");
    v.optional("min_severity", p.min_severity, "count: least severity counted");
    v.optional("by", p.by, "count: \"all\", \"name\", \"source\" or \"severity\"");
    v.required("above", p.above, "fires when the rate per `per` goes above this");
    v.optional("clear", p.clear, "closes when the rate is at or below this (above)");
    v.optional("per", p.per, "the rate's unit of time (1m)");
    v.optional("window", p.window, "the window the rate is measured over (1m)");
  }

  static std::optional<param_error> validate(const params& p) {
    if (p.mode != "count" && p.mode != "counter" && p.mode != "derivative")
      return param_error{"mode", "expected \"count\", \"counter\" or \"derivative\""};
    if (p.by != "all" && p.by != "name" && p.by != "source" && p.by != "severity")
      return param_error{"by", "expected \"all\", \"name\", \"source\" or \"severity\""};
    if (!kind_filter_valid(p.kind)) return param_error{"kind", "expected a record kind or \"any\""};
    if (p.per.ns <= 0) return param_error{"per", "must be positive"};
    if (p.window.ns <= 0) return param_error{"window", "must be positive"};
    if (p.clear && *p.clear > p.above) return param_error{"clear", "must not exceed \"above\""};
    return std::nullopt;
  }

  static bool counting(const params& p) noexcept { return p.is_count; }

  static std::optional<match> select(const params& p, const record_key& k) {
    const std::string_view kind = !p.kind.empty() ? std::string_view{p.kind}
                                  : counting(p)   ? "notification"
                                                  : "metric";
    if (!kind_matches(kind, k.kind) || !name_matches(p.source, k.source) ||
        !name_matches(p.name, k.name))
      return std::nullopt;
    if (!counting(p)) return match{std::string{k.name}};
    if (p.by == "severity") return match{{}, 0, true};
    return match{*subject_of(p.by, k)};
  }
  static std::string_view record_subject(const params&, const record_view& r) noexcept {
    return to_string(r.sev);
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.window.ns; }

  struct state {
    std::string subject;
    detail::count_episode counts;                         // mode count
    std::deque<std::pair<std::int64_t, double>> samples;  // counter modes: (ts, cumulative)
    double cumulative = 0, previous = 0, current_rate = 0, peak_rate = 0;
    bool has_previous = false;
    std::int64_t last_ts = 0, since = 0;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    if (counting(p)) {
      if (r.sev < p.min_severity) return false;
      s.counts.on_event(r.ts_ns, p.window.ns, limit(p, p.above), ep, [&](evidence& e) {
        fill(p, s, e);
        e.message = sentence(p, s);
      });
      return true;
    }
    const auto x = numeric(r, p.field);
    if (!x) return false;
    if (s.has_previous) s.cumulative += (p.is_counter && *x < s.previous) ? *x : *x - s.previous;
    s.previous = *x;
    s.has_previous = true;
    s.last_ts = r.ts_ns;
    s.samples.emplace_back(r.ts_ns, s.cumulative);
    // Keep one sample at or before the window's start as the base of the difference.
    while (s.samples.size() >= 2 && s.samples[1].first <= r.ts_ns - p.window.ns)
      s.samples.pop_front();
    const auto span = s.samples.back().first - s.samples.front().first;
    if (span * 2 < p.window.ns) return true;  // too little history for a stable rate
    s.current_rate = (s.samples.back().second - s.samples.front().second) /
                     static_cast<double>(span) * static_cast<double>(p.per.ns);
    if (s.current_rate > p.above) {
      if (!ep.is_open()) {
        s.since = r.ts_ns;
        s.peak_rate = s.current_rate;
        ep.open(r.ts_ns, s.current_rate, [&](evidence& e) {
          fill(p, s, e);
          e.message = sentence(p, s);
        });
      }
    }
    if (ep.is_open() && s.current_rate > s.peak_rate) s.peak_rate = s.current_rate;
    if (s.current_rate <= p.clear.value_or(p.above))
      ep.close(r.ts_ns, s.current_rate, [&](evidence& e) {
        fill(p, s, e);
        e.message = fmt::format("{} rate back to {:.3g} per {}", s.subject, s.current_rate,
                                format_duration(p.per.ns));
      });
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    if (counting(p)) {
      s.counts.on_tick(
          ctx, p.window.ns, limit(p, p.clear.value_or(p.above)), ep,
          [&](evidence& e) {
            fill(p, s, e);
            e.message = sentence(p, s);
          },
          [&](evidence& e) {
            fill(p, s, e);
            e.message = fmt::format("{} rate back to {:.3g} per {}", s.subject, rate_of(p, s),
                                    format_duration(p.per.ns));
          });
      return;
    }
    if (ep.is_open())
      ep.update(s.current_rate, ctx, [&](evidence& e) {
        fill(p, s, e);
        e.message = sentence(p, s);
      });
  }

 private:
  // count > above * window / per, in whole records.
  static std::int64_t limit(const params& p, double per_unit) noexcept {
    return static_cast<std::int64_t>(
        std::floor(per_unit * static_cast<double>(p.window.ns) / static_cast<double>(p.per.ns)));
  }
  static double rate_of(const params& p, const state& s) noexcept {
    if (!counting(p)) return s.current_rate;
    return static_cast<double>(s.counts.w.count()) * static_cast<double>(p.per.ns) /
           static_cast<double>(p.window.ns);
  }
  static std::string sentence(const params& p, const state& s) {
    return fmt::format("{} rate {:.3g} per {} (above {:g}, over {})", s.subject, rate_of(p, s),
                       format_duration(p.per.ns), p.above, human_duration(p.window.ns));
  }
  static void fill(const params& p, const state& s, evidence& e) {
    e.add("rate", rate_of(p, s));
    if (counting(p)) {
      e.add("count", s.counts.w.count());
      e.add("first_ts", s.counts.first_in_episode);
      e.add("last_ts", s.counts.last_ts);
    } else {
      e.add("peak_rate", s.peak_rate);
      e.add("trigger_name", std::string_view{s.subject});
      e.add("trigger_ts", s.since);
      e.add("last_ts", s.last_ts);
    }
  }
};

}  // namespace introspect::inline v1::insight
