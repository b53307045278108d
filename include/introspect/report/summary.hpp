#pragma once
//! The first screen of a support case (`introspect summary`): what the store is, then every
//! insight episode one per line (the most severe first when they do not all fit), then what
//! went silent, the state keys that changed most, drops and damage. Text for a terminal (UTC:
//! the customer's machine and the support engineer's rarely share a zone) and JSON for tools.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/json_escape.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/format/terminal_text.hpp>
#include <introspect/report/analysis.hpp>

namespace introspect::inline v1::report {

//! How the text summary is laid out.
struct summary_style {
  bool color = false;
  std::size_t max_episodes = 12;  //!< more are counted, and the most severe shown
  std::size_t max_lines = 5;      //!< per list (silent, state keys, drops, damage)
};

namespace detail {

inline std::string hms(std::int64_t ns) { return format_rfc3339(ns).substr(11, 8); }
inline std::string day(std::int64_t ns) { return format_rfc3339(ns).substr(0, 10); }

//! "5 min", "2 h 5 min", "3 days": how long a span is.
inline std::string span_text(std::int64_t ns) {
  const auto s = ns / 1'000'000'000;
  if (s < 120) return fmt::format("{} s", s);
  if (s < 7200) return fmt::format("{} min", s / 60);
  if (s < 172800) return fmt::format("{} h {} min", s / 3600, s / 60 % 60);
  return fmt::format("{} days", s / 86400);
}

// "HH:MM:SS", with the date when the records span more than one day.
inline std::string when(std::int64_t ns, const analysis& a) {
  return day(a.first) == day(a.last) ? hms(ns) : day(ns) + " " + hms(ns);
}

// The episodes the first screen shows: all when they fit; otherwise the most severe (and
// within a severity, the longest open or earliest), then in time order.
inline std::vector<const episode*> shown_episodes(const analysis& a, std::size_t max) {
  std::vector<const episode*> all;
  for (const auto& e : a.episodes) all.push_back(&e);
  if (all.size() > max) {
    std::stable_sort(all.begin(), all.end(),
                     [](const episode* x, const episode* y) { return x->sev > y->sev; });
    all.resize(max);
    std::stable_sort(all.begin(), all.end(),
                     [](const episode* x, const episode* y) { return x->onset < y->onset; });
  }
  return all;
}

}  // namespace detail

//! The summary as text lines (terminal-safe; colours only with style.color).
inline std::string summary_text(const analysis& a, const std::vector<std::string>& damage,
                                const summary_style& st = {}) {
  using detail::when;
  std::string o;
  auto safe = [](std::string_view s) { return terminal_safe(s); };
  auto bold = [&](std::string_view s) {
    return st.color ? fmt::format("\033[1m{}\033[0m", s) : std::string{s};
  };
  auto sev_color = [&](severity s, const std::string& text) {
    if (!st.color) return text;
    return fmt::format("{}{}\033[0m",
                       s >= severity::error     ? "\033[31m"
                       : s >= severity::warning ? "\033[33m"
                                                : "",
                       text);
  };
  if (a.records == 0) return "no records\n";
  std::string inst;
  for (std::size_t i = 0; i < a.instances.size() && i < 6; ++i)
    inst += (i ? ", " : "") + safe(a.instances[i]);
  if (a.instances.size() > 6) inst += fmt::format(", +{} more", a.instances.size() - 6);
  o += fmt::format("{} {} ({}): {} {} to {} UTC ({}), {} records\n", bold("INSTANCES"),
                   a.instances.size(), inst, detail::day(a.first), detail::hms(a.first),
                   when(a.last, a), detail::span_text(a.last - a.first), a.records);
  std::string kinds, sevs;
  for (const auto& [k, n] : a.by_kind)
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", k, n);
  for (int s = 5; s >= 0; --s)
    if (auto it = a.by_severity.find(std::string{to_string(static_cast<severity>(s))});
        it != a.by_severity.end())
      sevs += fmt::format("{}{} {}", sevs.empty() ? "" : ", ", it->first, it->second);
  o += fmt::format("{} {}; {} {}\n", bold("RECORDS"), kinds, bold("SEVERITY"),
                   sevs.empty() ? "none" : sevs);
  const auto shown = detail::shown_episodes(a, st.max_episodes);
  o += fmt::format(
      "{} {}{}\n", bold("INSIGHTS"), a.episodes.size(),
      a.episodes.size() > shown.size()
          ? fmt::format(" episodes ({} most severe shown; all: introspect insights)", shown.size())
          : std::string{a.episodes.empty()       ? " (no rule fired)"
                        : a.episodes.size() == 1 ? " episode"
                                                 : " episodes"});
  for (const auto* e : shown) {
    const std::string end = e->end >= 0 ? when(e->end, a) : "open";
    o += "  " +
         sev_color(e->sev, fmt::format("{} - {:<8} {:<8} {} {} {}: {}", when(e->onset, a), end,
                                       to_string(e->sev), safe(e->instance), safe(e->name),
                                       safe(e->subject), safe(e->message))) +
         "\n";
  }
  auto list = [&](std::string_view head, const std::vector<std::string>& items,
                  std::string_view none) {
    o += bold(head) + " ";
    if (items.empty()) {
      o += std::string{none} + "\n";
      return;
    }
    o += fmt::format("{}\n", items.size());
    for (std::size_t i = 0; i < items.size() && i < st.max_lines; ++i)
      o += "  " + safe(items[i]) + "\n";
    if (items.size() > st.max_lines)
      o += fmt::format("  ... and {} more\n", items.size() - st.max_lines);
  };
  std::vector<std::string> silent;
  for (const auto& [inst_name, what, ts] : a.silent)
    silent.push_back(fmt::format("{} {}: last at {} ({} before the end)", inst_name, what,
                                 when(ts, a), detail::span_text(a.last - ts)));
  list("SILENT", silent, "none (every source and heartbeat kept going to the end)");
  std::vector<std::string> keys;
  for (const auto& t : a.tracks) {
    if (t.total < 2) break;
    keys.push_back(fmt::format("{} {}: {} changes, last {}", t.instance, t.key, t.total,
                               t.changes.empty() ? "" : t.changes.back().second));
  }
  list("STATE CHANGES", keys, "no state key changed more than once");
  std::vector<std::string> drops;
  for (const auto& [k, v] : a.drops)
    if (v > 0) drops.push_back(fmt::format("{} {} = {}", k.first, k.second, v));
  list("DROPS", drops,
       a.drops.empty() ? "none recorded" : "0 (every introspect.dropped.* counter is 0)");
  list("DAMAGE", damage, "none found");
  return o;
}

//! The summary as one JSON object (every episode, every list in full).
inline std::string summary_json(const analysis& a, const std::vector<std::string>& damage) {
  auto str = [](std::string_view s) {
    std::string q;
    append_json_string(q, s);
    return q;
  };
  auto ts = [&](std::int64_t ns) { return str(format_rfc3339(ns)); };
  std::string o = "{";
  o += "\"instances\":[";
  for (std::size_t i = 0; i < a.instances.size(); ++i) o += (i ? "," : "") + str(a.instances[i]);
  o += "],\"first\":" + (a.records ? ts(a.first) : "null") +
       ",\"last\":" + (a.records ? ts(a.last) : "null");
  o += fmt::format(",\"records\":{},\"by_kind\":{{", a.records);
  bool first = true;
  for (const auto& [k, n] : a.by_kind)
    o += fmt::format("{}{}:{}", std::exchange(first, false) ? "" : ",", str(k), n);
  o += "},\"by_severity\":{";
  first = true;
  for (const auto& [k, n] : a.by_severity)
    o += fmt::format("{}{}:{}", std::exchange(first, false) ? "" : ",", str(k), n);
  o += "},\"insights\":[";
  for (std::size_t i = 0; i < a.episodes.size(); ++i) {
    const auto& e = a.episodes[i];
    o += fmt::format(
        "{}{{\"onset\":{},\"end\":{},\"instance\":{},\"name\":{},\"rule\":{},\"subject\":{},"
        "\"severity\":{},\"message\":{}}}",
        i ? "," : "", ts(e.onset), e.end >= 0 ? ts(e.end) : "null", str(e.instance), str(e.name),
        str(e.rule), str(e.subject), str(to_string(e.sev)), str(e.message));
  }
  o += "],\"silent\":[";
  for (std::size_t i = 0; i < a.silent.size(); ++i)
    o += fmt::format("{}{{\"instance\":{},\"what\":{},\"last\":{}}}", i ? "," : "",
                     str(std::get<0>(a.silent[i])), str(std::get<1>(a.silent[i])),
                     ts(std::get<2>(a.silent[i])));
  o += "],\"state_changes\":[";
  for (std::size_t i = 0; i < a.tracks.size() && i < 50; ++i)
    o += fmt::format("{}{{\"instance\":{},\"key\":{},\"changes\":{}}}", i ? "," : "",
                     str(a.tracks[i].instance), str(a.tracks[i].key), a.tracks[i].total);
  o += "],\"drops\":[";
  first = true;
  for (const auto& [k, v] : a.drops)
    o += fmt::format("{}{{\"instance\":{},\"name\":{},\"value\":{}}}",
                     std::exchange(first, false) ? "" : ",", str(k.first), str(k.second), v);
  o += "],\"damage\":[";
  for (std::size_t i = 0; i < damage.size(); ++i) o += (i ? "," : "") + str(damage[i]);
  o += "]}\n";
  return o;
}

}  // namespace introspect::inline v1::report
