#pragma once
//! The report's timeline, after Perfetto's tracks: one row per insight (episodes as spans), one
//! row per severity of notifications (marks, darker where there are more), and one row per
//! state key (each value a coloured stretch), all on the page's time axis. Under the first
//! track of a Kubernetes object (`<ns>/<Kind>/<name>/<field>`, e.g. the pod's
//! `condition/Ready`) a row holds the cluster's Events about that object ("Readiness probe
//! failed"), so the state and its why are read side by side.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <introspect/report/analysis.hpp>
#include <introspect/report/svg.hpp>

namespace introspect::inline v1::report {

//! The colour of a severity (marks and episode spans).
inline const char* severity_color(severity s) {
  switch (s) {
    case severity::critical:
      return "#7b1fa2";
    case severity::error:
      return "#d32f2f";
    case severity::warning:
      return "#f57c00";
    case severity::notice:
      return "#1976d2";
    case severity::info:
      return "#607d8b";
    default:
      return "#9e9e9e";
  }
}

//! The colour of a state value: failures red, transitions amber, healthy green, others hashed.
inline std::string state_color(const std::string& v) {
  std::string u(v);
  std::transform(u.begin(), u.end(), u.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const char* w : {"FAIL", "ERROR", "OFFLINE", "DOWN", "DEAD", "CRASH", "LOST"})
    if (u.find(w) != std::string::npos) return "#e53935";
  for (const char* w : {"RECOVER", "START", "WARN", "DEGRAD", "PENDING", "STOPP", "SYNC"})
    if (u.find(w) != std::string::npos) return "#fb8c00";
  for (const char* w : {"RUN", "UP", "OK", "HEALTH", "READY", "ACTIVE", "ONLINE"})
    if (u.find(w) != std::string::npos) return "#43a047";
  const auto h = std::hash<std::string>{}(v) % 360;
  return fmt::format("hsl({},45%,60%)", h);
}

//! The Kubernetes object a state key belongs to, as its Event notifications name it: key
//! "pravega/Pod/seg-1/condition/Ready" -> "Pod pravega/seg-1" ("" for other keys).
inline std::string kubernetes_object_of(const std::string& key) {
  const auto a = key.find('/');
  const auto b = a == std::string::npos ? a : key.find('/', a + 1);
  const auto c = b == std::string::npos ? b : key.find('/', b + 1);
  if (c == std::string::npos || a == 0 || b == a + 1 || c == b + 1 || c + 1 >= key.size())
    return {};
  const std::string kind = key.substr(a + 1, b - a - 1);
  if (!std::isupper(static_cast<unsigned char>(kind[0]))) return {};  // Kinds are capitalised
  return kind + " " + key.substr(0, a) + "/" + key.substr(b + 1, c - b - 1);
}

//! The Events (kubernetes notifications "Event <Kind> <ns>/<name>: ...") by (instance,
//! object), in time order.
inline std::map<std::pair<std::string, std::string>, std::vector<const notification_mark*>>
object_events(const analysis& a) {
  std::map<std::pair<std::string, std::string>, std::vector<const notification_mark*>> out;
  for (const auto& n : a.notifications) {
    if (n.source != "kubernetes" || !n.name.starts_with("Event ")) continue;
    const auto colon = n.name.find(": ");
    if (colon != std::string::npos) out[{n.instance, n.name.substr(6, colon - 6)}].push_back(&n);
  }
  return out;
}

//! `tracks`, plus the Ready track of every object the cluster reported Events about (at most
//! `extra` more): the question "when did it go unready, and why?" needs both on one page.
inline std::vector<const state_track*> with_ready_tracks(
    const analysis& a, std::vector<const state_track*> tracks,
    const std::map<std::pair<std::string, std::string>, std::vector<const notification_mark*>>&
        events,
    std::size_t extra = 8) {
  std::set<const state_track*> shown(tracks.begin(), tracks.end());
  for (const auto& t : a.tracks)
    if (extra > 0 && t.key.ends_with("/condition/Ready") && !shown.count(&t) &&
        events.count({t.instance, kubernetes_object_of(t.key)})) {
      tracks.push_back(&t);
      --extra;
    }
  return tracks;
}

//! The timeline SVG: `tracks` are the state tracks to show (already chosen).
inline std::string timeline_svg(const analysis& a, const std::vector<const state_track*>& chosen,
                                double width = 1160) {
  const auto events = object_events(a);
  const auto tracks = with_ready_tracks(a, chosen, events);
  // The row of an object's Events goes under its Ready track, else under its first track.
  std::map<std::pair<std::string, std::string>, const state_track*> events_under;
  for (const auto* t : tracks) {
    const std::pair<std::string, std::string> obj{t->instance, kubernetes_object_of(t->key)};
    if (!events.count(obj)) continue;
    auto [it, fresh] = events_under.emplace(obj, t);
    if (!fresh && t->key.ends_with("/condition/Ready") &&
        !it->second->key.ends_with("/condition/Ready"))
      it->second = t;
  }
  constexpr double label_w = 300, row = 16, top = 22;
  svg::time_axis ax{a.first, std::max(a.last, a.first + 1), label_w, width - label_w - 10};
  // Rows: one per (instance, insight name, subject).
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const episode*>> ins_rows;
  for (const auto& e : a.episodes) ins_rows[{e.instance, e.name, e.subject}].push_back(&e);
  const auto rows = ins_rows.size() + a.marks.size() + tracks.size() + events_under.size();
  const double height = top + row * static_cast<double>(rows) + 30;
  std::string o = fmt::format(
      "<svg id=\"timeline\" class=\"timeline\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\"><title>timeline</title>",
      width, height);
  double y = top;
  for (auto t : ax.ticks(10))
    o += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2:.0f}\"/><text "
        "class=\"xl\" x=\"{0:.1f}\" y=\"14\">{3}</text>",
        ax.x(t), top, height - 24, ax.label(t));
  auto label = [&](const std::string& text, const char* cls) {
    o += fmt::format("<text class=\"{}\" x=\"4\" y=\"{:.0f}\">{}</text>", cls, y + 12,
                     svg::esc(text.size() > 46 ? text.substr(0, 45) + "…" : text));
  };
  for (const auto& [k, eps] : ins_rows) {
    label(std::get<1>(k) + " " + std::get<2>(k) + " (" + std::get<0>(k) + ")", "tl ins");
    for (const auto* e : eps) {
      const auto end = e->end >= 0 ? e->end : a.last;
      o += fmt::format(
          "<rect class=\"episode\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"{}\"><title>{}</title></rect>",
          ax.x(e->onset), y + 2, std::max(2.0, ax.x(end) - ax.x(e->onset)), row - 4,
          severity_color(e->sev),
          svg::esc(fmt::format("{} {}: {} ({} to {})", e->name, e->subject, e->message,
                               format_rfc3339(e->onset),
                               e->end >= 0 ? format_rfc3339(e->end) : std::string{"open"})));
    }
    y += row;
  }
  for (auto it = a.marks.rbegin(); it != a.marks.rend(); ++it) {
    const auto sev = static_cast<severity>(it->first);
    label(fmt::format("notifications: {}", to_string(sev)), "tl");
    double peak = 1;
    const auto bins = it->second.bins();
    // Counts per pixel column: the bins hold 1 per notification.
    std::map<int, std::uint64_t> cols;
    for (const auto& b : bins) cols[static_cast<int>(ax.x((b.t0 + b.t1) / 2))] += b.n;
    for (const auto& [x, n] : cols) peak = std::max(peak, static_cast<double>(n));
    for (const auto& [x, n] : cols)
      o += fmt::format(
          "<rect class=\"mark\" x=\"{}\" y=\"{:.0f}\" width=\"2\" height=\"{}\" fill=\"{}\" "
          "fill-opacity=\"{:.2f}\"><title>{} {}</title></rect>",
          x, y + 2, row - 4, severity_color(sev), 0.35 + 0.65 * static_cast<double>(n) / peak, n,
          to_string(sev));
    y += row;
  }
  for (const auto* t : tracks) {
    label(t->key + " (" + t->instance + ")", "tl");
    o += fmt::format("<g class=\"track\" data-key=\"{}\" data-instance=\"{}\">", svg::esc(t->key),
                     svg::esc(t->instance));
    // One stretch per pixel column at most: the value at the column's end, ticks where a
    // column saw several changes.
    double last_x = -1;
    std::string last_v;
    std::int64_t last_t = 0;
    auto flush = [&](double x_end) {
      if (last_x < 0) return;
      o += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" "
          "data-ts=\"{}\" data-value=\"{}\"><title>{} from {}</title></rect>",
          last_x, y + 2, std::max(1.0, x_end - last_x), row - 4, state_color(last_v), last_t,
          svg::esc(last_v), svg::esc(last_v), format_rfc3339(last_t));
    };
    for (const auto& [ts, v] : t->changes) {
      const double x = std::floor(ax.x(ts));
      if (last_x >= 0 && x <= last_x) {  // same pixel column: keep the latest value
        last_v = v;
        continue;
      }
      if (v == last_v) continue;
      flush(x);
      last_x = x, last_v = v, last_t = ts;
    }
    flush(ax.x0 + ax.w);
    o += "</g>";
    y += row;
    // The object's Events, beside (under) its Ready track.
    const std::pair<std::string, std::string> obj{t->instance, kubernetes_object_of(t->key)};
    const auto under = events_under.find(obj);
    if (under == events_under.end() || under->second != t) continue;
    const auto ev = events.find(obj);
    label("  Events: " + obj.second, "tl ev");
    o += fmt::format("<g class=\"events\" data-object=\"{}\" data-instance=\"{}\">",
                     svg::esc(obj.second), svg::esc(obj.first));
    for (const auto* n : ev->second)
      o += fmt::format(
          "<rect class=\"event-mark\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"3\" height=\"{}\" "
          "fill=\"{}\" data-ts=\"{}\"><title>{} {}</title></rect>",
          ax.x(n->ts_ns) - 1, y + 2, row - 4, severity_color(n->sev), n->ts_ns,
          format_rfc3339(n->ts_ns), svg::esc(n->name));
    o += "</g>";
    y += row;
  }
  o += "</svg>";
  return o;
}

}  // namespace introspect::inline v1::report
