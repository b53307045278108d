#pragma once
//! The self-contained HTML report (`introspect report`): the summary, the timeline, one plot per
//! insight with its evidence drawn on it (threshold, fitted exhaustion line, anomaly band) and
//! plots of the metrics that moved most. Inline CSS and inline SVG only: no script, font or
//! image is fetched, so the page opens from a bundle on a machine without network.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/report/summary.hpp>
#include <introspect/report/svg.hpp>
#include <introspect/report/timeline.hpp>

namespace introspect::inline v1::report {

//! What the page shows.
struct html_options {
  std::string title = "introspect report";
  std::string source;           //!< the STORE arguments, for the header
  std::size_t top_metrics = 8;  //!< plots of the metrics that moved most
  std::size_t max_insight_plots = 16;
  std::size_t max_tracks = 24;
  std::size_t max_lines_per_plot = 4;  //!< 4 x 2 points x ~1080 columns < 10 000 points
};

namespace detail {

inline constexpr const char* palette[] = {"#1565c0", "#2e7d32", "#6a1b9a",
                                          "#00838f", "#ad1457", "#5d4037"};

inline const series* find_series(const analysis& a, const std::string& instance,
                                 const std::string& name,
                                 std::initializer_list<const char*> whats) {
  for (const char* w : whats)
    for (const auto& s : a.plots)
      if (s.instance == instance && s.name == name && s.what == w && s.n) return &s;
  return nullptr;
}

// The series an insight's rule read, and the evidence to draw on it.
inline std::string insight_plot(const analysis& a, const episode& e, const svg::plot_box& box) {
  std::string metric = e.text("evidence.trigger_name");
  if (metric.empty()) metric = e.subject;
  const series* s = nullptr;
  if (e.rule == "threshold" && e.text("param.field") == "p99")
    s = find_series(a, e.instance, metric, {"p99 (since start)"});
  else if (e.rule == "anomaly" && e.text("param.input") == "interval_mean")
    s = find_series(a, e.instance, metric, {"interval mean"});
  if (!s) s = find_series(a, e.instance, metric, {"value", "interval p99", "rate /s"});
  if (!s) return {};
  std::vector<svg::overlay> ov;
  const auto end = e.end >= 0 ? e.end : a.last;
  ov.push_back({svg::overlay::type::span, e.onset, end, 0, 0,
                fmt::format("episode: {} to {}", format_rfc3339(e.onset),
                            e.end >= 0 ? format_rfc3339(e.end) : "open"),
                e.sev >= severity::error ? "rgba(211,47,47,0.10)" : "rgba(245,124,0,0.12)"});
  if (e.rule == "threshold") {
    if (const double lv = e.number("evidence.level"); std::isfinite(lv))
      ov.push_back(
          {svg::overlay::type::hline, 0, 0, lv, lv, "threshold " + svg::num(lv), "#d32f2f"});
    if (const double c = e.number("param.clear"); std::isfinite(c))
      ov.push_back(
          {svg::overlay::type::hline, 0, 0, c, c, "clears below " + svg::num(c), "#9e9e9e"});
  } else if (e.rule == "exhaustion") {
    const double fitted = e.number("evidence.fitted"), slope = e.number("evidence.slope_per_s");
    const double limit = e.number("evidence.limit");
    const double trig = e.number("evidence.trigger_ts"), first = e.number("evidence.first_ts");
    if (std::isfinite(limit) && limit > 0)
      ov.push_back(
          {svg::overlay::type::hline, 0, 0, limit, limit, "limit " + svg::num(limit), "#d32f2f"});
    if (std::isfinite(fitted) && std::isfinite(slope) && std::isfinite(trig)) {
      const auto t0 = static_cast<std::int64_t>(std::isfinite(first) && first > 0 ? first : trig);
      const auto t1 = a.last;
      auto at = [&](std::int64_t t) {
        return fitted + slope * (static_cast<double>(t) - trig) / 1e9;
      };
      const double full = e.number("evidence.full_ts");
      ov.push_back({svg::overlay::type::segment, t0, t1, at(t0), at(t1),
                    fmt::format("fitted: {}/s{}", svg::num(slope),
                                std::isfinite(full)
                                    ? ", full at " + format_rfc3339(static_cast<std::int64_t>(full))
                                    : ""),
                    "#6a1b9a"});
    }
  } else if (e.rule == "anomaly") {
    const double base = e.number("evidence.baseline"), sigma = e.number("evidence.sigma");
    const double z = e.number("param.z");
    if (std::isfinite(base) && std::isfinite(sigma) && std::isfinite(z)) {
      const double w = e.number("window_ns");
      const auto from = e.onset - static_cast<std::int64_t>(std::isfinite(w) ? w : 0);
      ov.push_back({svg::overlay::type::band, std::max(a.first, from), end, base - z * sigma,
                    base + z * sigma,
                    fmt::format("normal band: {} ± {}σ (σ = {})", svg::num(base), svg::num(z),
                                svg::num(sigma)),
                    "rgba(25,118,210,0.15)"});
      ov.push_back(
          {svg::overlay::type::hline, 0, 0, base, base, "baseline " + svg::num(base), "#1976d2"});
    }
  }
  const std::string title =
      fmt::format("{} ({}): {} · {} {}", e.name, e.instance, e.message, s->name, s->what);
  return svg::plot(title, {{&s->bins, s->instance + " " + s->what, palette[0]}}, ov, a.first,
                   std::max(a.last, a.first + 1), box);
}

inline const char* css() {
  return R"(body{font:14px system-ui,sans-serif;margin:16px;color:#212121;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f5f5f5}.sev-error td,.sev-critical td{color:#b71c1c}.sev-warning td{color:#e65100}
.muted{color:#757575}svg{display:block;margin:4px 0;background:#fff}.grid{stroke:#eee}
.xl{font-size:11px;fill:#616161;text-anchor:middle}.yl{font-size:11px;fill:#616161;text-anchor:end}
.pt{font-size:13px;font-weight:600;fill:#212121}.lg{font-size:11px}.tl{font-size:11px;fill:#424242}
.ins{font-weight:600}.series{stroke-width:1.3}.ev{stroke-width:1.5;stroke-dasharray:6 3}
.evl{font-size:11px;text-anchor:end}ul{margin:2px 0;padding-left:20px}code{font-size:12px})";
}

}  // namespace detail

//! The whole page.
inline std::string html_page(const analysis& a, const std::vector<std::string>& damage,
                             const html_options& opt) {
  using svg::esc;
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\">";
  o += "<title>" + esc(opt.title) + "</title><style>" + detail::css() + "</style></head><body>";
  o += "<h1>" + esc(opt.title) + "</h1>";
  o += "<p class=\"muted\">" + esc(opt.source) +
       " · all times UTC · counters are drawn as rates and histograms as interval percentiles "
       "(from successive samples)</p>";
  // The summary, as the terminal shows it, then the full lists.
  o += "<h2 id=\"summary\">Summary</h2><pre id=\"summary-text\">" + esc(summary_text(a, damage)) +
       "</pre>";
  o += "<h2 id=\"insights\">Insights</h2>";
  if (a.episodes.empty()) {
    o += "<p>No rule fired.</p>";
  } else {
    o += "<table><tr><th>onset</th><th>end</th><th>instance</th><th>insight</th><th>subject</"
         "th><th>severity</th><th>what it says</th></tr>";
    for (std::size_t i = 0; i < a.episodes.size() && i < 500; ++i) {
      const auto& e = a.episodes[i];
      o += fmt::format(
          "<tr "
          "class=\"sev-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</"
          "td><td>{}</td></tr>",
          to_string(e.sev), format_rfc3339(e.onset).substr(0, 19),
          e.end >= 0 ? format_rfc3339(e.end).substr(0, 19) : "open", esc(e.instance), esc(e.name),
          esc(e.subject), to_string(e.sev), esc(e.message));
    }
    o += "</table>";
  }
  // Timeline: insight rows, notification rows, and the state keys that matter most: those an
  // insight names first, then those that changed most.
  std::vector<const state_track*> tracks;
  std::set<const state_track*> chosen;
  for (const auto& e : a.episodes)
    for (const auto& t : a.tracks)
      if (t.instance == e.instance &&
          (t.key == e.subject || t.key == e.text("evidence.trigger_name")) &&
          chosen.insert(&t).second && tracks.size() < opt.max_tracks)
        tracks.push_back(&t);
  for (const auto& t : a.tracks)
    if (tracks.size() < opt.max_tracks && chosen.insert(&t).second) tracks.push_back(&t);
  o += "<h2 id=\"timeline-h\">Timeline</h2>" + timeline_svg(a, tracks);
  svg::plot_box box;
  o += "<h2 id=\"evidence\">Insights with their evidence</h2>";
  std::set<std::string> plotted, seen;
  std::size_t n = 0;
  for (const auto& e : a.episodes) {
    if (n >= opt.max_insight_plots) break;
    if (!seen.insert(e.instance + "\n" + e.name + "\n" + e.subject).second) continue;
    auto p = detail::insight_plot(a, e, box);
    if (p.empty()) continue;
    o += p;
    plotted.insert(e.text("evidence.trigger_name").empty() ? e.subject
                                                           : e.text("evidence.trigger_name"));
    ++n;
  }
  if (!n) o += "<p>No insight names a metric of this store.</p>";
  // The metrics that moved most (relative standard deviation), one plot per name.
  std::map<std::string, std::vector<const series*>> by_name;
  for (const auto& s : a.plots)
    if (!s.name.starts_with("introspect.") && s.what != "interval mean" &&
        s.what != "p99 (since start)")
      by_name[s.name].push_back(&s);
  std::vector<std::pair<double, std::string>> ranked;
  for (auto& [name, v] : by_name) {
    double best = 0;
    for (const auto* s : v) best = std::max(best, s->variation());
    if (!plotted.count(name) && best > 0) ranked.emplace_back(best, name);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto& x, const auto& y) { return x.first > y.first; });
  o += "<h2 id=\"top-metrics\">Metrics that moved most</h2>";
  for (std::size_t i = 0; i < ranked.size() && i < opt.top_metrics; ++i) {
    auto v = by_name[ranked[i].second];
    std::stable_sort(v.begin(), v.end(), [](const series* x, const series* y) {
      return x->variation() > y->variation();
    });
    std::vector<svg::line> lines;
    for (std::size_t k = 0; k < v.size() && k < opt.max_lines_per_plot; ++k)
      lines.push_back({&v[k]->bins, v[k]->instance + " " + v[k]->what, detail::palette[k % 6]});
    const auto more = v.size() > opt.max_lines_per_plot
                          ? fmt::format(" ({} of {} instances)", opt.max_lines_per_plot, v.size())
                          : std::string{};
    o += svg::plot(ranked[i].second + " · " + v.front()->what + more, lines, {}, a.first,
                   std::max(a.last, a.first + 1), box);
  }
  if (ranked.empty()) o += "<p>No metric varied.</p>";
  o += "<h2 id=\"damage\">Damage</h2>";
  if (damage.empty()) {
    o += "<p>None found.</p>";
  } else {
    o += "<ul>";
    for (std::size_t i = 0; i < damage.size() && i < 200; ++i)
      o += "<li><code>" + esc(damage[i]) + "</code></li>";
    o += "</ul>";
  }
  o += "<p class=\"muted\">Written by introspect report.</p></body></html>\n";
  return o;
}

}  // namespace introspect::inline v1::report
