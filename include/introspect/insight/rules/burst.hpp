#pragma once
//! Rule `burst`: more than N notifications of one severity within a window.
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>
#include <introspect/insight/detail/event_window.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! Opens when more than `count` notifications of `min_severity` or worse, counted per severity
//! (or per name, source, or all together: `by`), arrive within `window`; closes when the count
//! within the window falls to `clear` or fewer.
struct burst {
  static constexpr std::string_view type_name = "burst";

  struct params {
    std::string name = "*";
    std::string source = "*";
    std::string kind = "notification";
    severity min_severity = severity::warning;
    std::string by = "severity";
    std::int64_t count = 0;
    duration window{};
    std::optional<std::int64_t> clear;
  };

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.optional("name", p.name, "name glob of the notifications counted");
    v.optional("source", p.source, "source glob");
    v.optional("kind", p.kind, "record kind counted");
    v.optional("min_severity", p.min_severity, "least severity counted");
    v.optional("by", p.by, "\"severity\", \"name\", \"source\" or \"all\": what is counted apart");
    v.required("count", p.count, "fires at more than this many within the window");
    v.required("window", p.window, "the window");
    v.optional("clear", p.clear, "closes at this many in the window or fewer (count/2)");
  }

  static std::optional<param_error> validate(const params& p) {
    if (p.count < 1) return param_error{"count", "must be at least 1"};
    if (p.window.ns <= 0) return param_error{"window", "must be positive"};
    if (p.by != "severity" && p.by != "name" && p.by != "source" && p.by != "all")
      return param_error{"by", "expected \"severity\", \"name\", \"source\" or \"all\""};
    if (!kind_filter_valid(p.kind)) return param_error{"kind", "expected a record kind or \"any\""};
    if (p.clear && (*p.clear < 0 || *p.clear > p.count))
      return param_error{"clear", "must be between 0 and \"count\""};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (!kind_matches(p.kind, k.kind) || !name_matches(p.source, k.source) ||
        !name_matches(p.name, k.name))
      return std::nullopt;
    if (p.by == "severity") return match{{}, 0, true};
    return match{*subject_of(p.by, k)};
  }
  //! The subject of a record when it depends on the record (by severity).
  static std::string_view record_subject(const params&, const record_view& r) noexcept {
    return to_string(r.sev);
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.window.ns; }
  //! A burst counts records (at or above min_severity); it needs no value.
  static bool counting(const params&) noexcept { return true; }

  struct state {
    std::string subject;
    detail::count_episode counts;
    std::string last_name;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    if (r.sev < p.min_severity) return false;
    s.last_name = r.name;
    s.counts.on_event(r.ts_ns, p.window.ns, p.count, ep, [&](evidence& e) {
      fill(p, s, e);
      e.message = sentence(p, s);
    });
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    s.counts.on_tick(
        ctx, p.window.ns, p.clear.value_or(p.count / 2), ep,
        [&](evidence& e) {
          fill(p, s, e);
          e.message = sentence(p, s);
        },
        [&](evidence& e) {
          fill(p, s, e);
          e.message = fmt::format("burst of {} notifications over: peak {} within {}", s.subject,
                                  s.counts.peak, human_duration(p.window.ns));
        });
  }

 private:
  static std::string sentence(const params& p, const state& s) {
    return fmt::format("burst of {} notifications: {} within {} (more than {})", s.subject,
                       s.counts.w.count(), human_duration(p.window.ns), p.count);
  }
  static void fill(const params&, const state& s, evidence& e) {
    e.add("count", s.counts.w.count());
    e.add("peak_count", s.counts.peak);
    e.add("first_ts", s.counts.first_in_episode);
    e.add("last_ts", s.counts.last_ts);
    e.add("trigger_name", std::string_view{s.last_name});
  }
};

}  // namespace introspect::inline v1::insight
