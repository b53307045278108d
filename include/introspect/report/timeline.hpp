#pragma once
//! The report's timeline, after Perfetto's tracks: one row per insight (episodes as spans), one
//! row per severity of notifications (marks, darker where there are more), and one row per
//! state key (each value a coloured stretch), all on the page's time axis.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
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

//! The timeline SVG: `tracks` are the state tracks to show (already chosen).
inline std::string timeline_svg(const analysis& a, const std::vector<const state_track*>& tracks,
                                double width = 1160) {
  constexpr double label_w = 300, row = 16, top = 22;
  svg::time_axis ax{a.first, std::max(a.last, a.first + 1), label_w, width - label_w - 10};
  // Rows: one per (instance, insight name, subject).
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const episode*>> ins_rows;
  for (const auto& e : a.episodes) ins_rows[{e.instance, e.name, e.subject}].push_back(&e);
  const auto rows = ins_rows.size() + a.marks.size() + tracks.size();
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
    // One stretch per pixel column at most: the value at the column's end, ticks where a
    // column saw several changes.
    double last_x = -1;
    std::string last_v;
    std::int64_t last_t = 0;
    auto flush = [&](double x_end) {
      if (last_x < 0) return;
      o += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} "
          "from {}</title></rect>",
          last_x, y + 2, std::max(1.0, x_end - last_x), row - 4, state_color(last_v),
          svg::esc(last_v), format_rfc3339(last_t));
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
    y += row;
  }
  o += "</svg>";
  return o;
}

}  // namespace introspect::inline v1::report
