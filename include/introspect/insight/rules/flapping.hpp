#pragma once
//! Rule `flapping`: a state that changes more than N times within a window.
#include <array>
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

//! Opens when a state key matching `key` changes value more than `changes` times within
//! `window` (e.g. a container cycling RECOVERING/RUNNING); closes when the changes within the
//! window fall to `clear` or fewer. Table lines that repeat the current value are not changes.
struct flapping {
  static constexpr std::string_view type_name = "flapping";

  struct params {
    std::string key;
    std::string source = "*";
    std::int64_t changes = 0;
    duration window{};
    std::optional<std::int64_t> clear;
  };

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.required("key", p.key, "glob of the state keys watched");
    v.optional("source", p.source, "source glob");
    v.required("changes", p.changes, "fires when the state changes more than this many times");
    v.required("window", p.window, "the window the changes are counted in");
    v.optional("clear", p.clear, "closes at this many changes in the window or fewer (changes/2)");
  }

  static std::optional<param_error> validate(const params& p) {
    if (p.changes < 1) return param_error{"changes", "must be at least 1"};
    if (p.window.ns <= 0) return param_error{"window", "must be positive"};
    if (p.clear && (*p.clear < 0 || *p.clear > p.changes))
      return param_error{"clear", "must be between 0 and \"changes\""};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (k.kind != record_kind::state || !name_matches(p.source, k.source) ||
        !name_matches(p.key, k.name))
      return std::nullopt;
    return match{std::string{k.name}};
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.window.ns; }

  struct state {
    std::string subject;
    bool seen = false;
    value current;
    detail::count_episode counts;
    // The last transitions, for the evidence: "RUNNING>RECOVERING@<ts>".
    std::array<std::pair<std::int64_t, std::string>, 8> recent{};
    std::size_t n_recent = 0;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    if (!s.seen) {
      s.seen = true;
      s.current = to_value(r.val);
      return true;
    }
    if (same_value(s.current, r.val)) return true;
    auto& slot = s.recent[s.n_recent++ % s.recent.size()];
    slot.first = r.ts_ns;
    slot.second = value_text(s.current);
    s.current = to_value(r.val);
    slot.second += '>';
    slot.second += value_text(s.current);
    s.counts.on_event(r.ts_ns, p.window.ns, p.changes, ep, [&](evidence& e) {
      fill(p, s, e);
      e.message = sentence(p, s);
    });
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    s.counts.on_tick(
        ctx, p.window.ns, p.clear.value_or(p.changes / 2), ep,
        [&](evidence& e) {
          fill(p, s, e);
          e.message = sentence(p, s);
        },
        [&](evidence& e) {
          fill(p, s, e);
          e.message = fmt::format("{} stable at {} since {}", s.subject, value_text(s.current),
                                  format_rfc3339(s.counts.last_ts));
        });
  }

 private:
  static std::string sentence(const params& p, const state& s) {
    return fmt::format("{} changed state {} times within {} (now {})", s.subject,
                       s.counts.w.count(), human_duration(p.window.ns), value_text(s.current));
  }
  static void fill(const params&, const state& s, evidence& e) {
    e.add("changes", s.counts.w.count());
    e.add("peak_changes", s.counts.peak);
    e.add("current", std::string_view{value_text(s.current)});
    e.add("trigger_name", std::string_view{s.subject});
    e.add("first_ts", s.counts.first_in_episode);
    e.add("last_ts", s.counts.last_ts);
    std::string seq;
    const std::size_t n = std::min(s.n_recent, s.recent.size());
    for (std::size_t i = s.n_recent - n; i < s.n_recent; ++i) {
      const auto& [ts, text] = s.recent[i % s.recent.size()];
      if (!seq.empty()) seq.push_back(',');
      seq += text + "@" + format_rfc3339(ts);
    }
    e.add("transitions", std::string_view{seq});
  }
};

}  // namespace introspect::inline v1::insight
