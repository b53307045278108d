#pragma once
//! Inline SVG for the HTML report: time axes, value axes and line plots. Every series is cut to
//! min/max per pixel column before it is drawn (2 points per column), so a plot holds at most
//! 2 x width points per series whatever the store's size; the page needs no script at all.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>
#include <introspect/report/bins.hpp>

namespace introspect::inline v1::report::svg {

//! The text with &, <, >, " and ' escaped for HTML and SVG (control bytes become spaces).
inline std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      case '\n':
        o.push_back(c);
        break;  // kept: the summary is preformatted text
      default:
        o.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7F ? ' ' : c);
    }
  }
  return o;
}

//! A number for an axis or a tooltip: 3 significant digits, k/M/G/T above a thousand.
inline std::string num(double v) {
  if (!std::isfinite(v)) return "-";
  const double a = std::abs(v);
  static constexpr std::array<std::pair<double, const char*>, 4> si{
      {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  for (const auto& [f, s] : si)
    if (a >= f) return fmt::format("{:.3g}{}", v / f, s);
  if (a == std::floor(a)) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.3g}", v);
}

//! The horizontal mapping of a page: [t0, t1] onto [x0, x0 + w] pixels.
struct time_axis {
  std::int64_t t0 = 0, t1 = 1;
  double x0 = 0, w = 1000;
  double x(std::int64_t t) const {
    return x0 + w * static_cast<double>(t - t0) /
                    static_cast<double>(std::max<std::int64_t>(1, t1 - t0));
  }
  //! Tick times: a round step giving at most `max` ticks.
  std::vector<std::int64_t> ticks(int max = 8) const {
    static constexpr std::int64_t s = 1'000'000'000;
    static constexpr std::array<std::int64_t, 18> steps{
        s,       2 * s,   5 * s,    10 * s,   15 * s,   30 * s,    60 * s,    120 * s,   300 * s,
        600 * s, 900 * s, 1800 * s, 3600 * s, 7200 * s, 10800 * s, 21600 * s, 43200 * s, 86400 * s};
    std::int64_t step = steps.back();
    for (auto st : steps)
      if ((t1 - t0) / st <= max) {
        step = st;
        break;
      }
    while ((t1 - t0) / step > max) step *= 2;
    std::vector<std::int64_t> out;
    for (std::int64_t t = (t0 / step + (t0 % step > 0)) * step; t <= t1; t += step)
      out.push_back(t);
    return out;
  }
  //! "HH:MM:SS" (with the date when the page spans days).
  std::string label(std::int64_t t) const {
    const auto r = format_rfc3339(t);
    return t1 - t0 > 86'400'000'000'000 ? r.substr(5, 5) + " " + r.substr(11, 5) : r.substr(11, 8);
  }
};

//! Vertical ticks: a round step giving about five ticks over [lo, hi].
inline std::vector<double> value_ticks(double lo, double hi) {
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(v);
  return out;
}

//! One line of a plot: its bins, label and colour.
struct line {
  const minmax_bins* bins = nullptr;
  std::string label, color;
};

//! A horizontal reference or evidence drawn over a plot.
struct overlay {
  enum class type { hline, segment, band, span } kind = type::hline;
  std::int64_t t0 = 0, t1 = 0;  //!< segment/band/span: the time range
  double v0 = 0, v1 = 0;        //!< hline: v0; segment: from v0 to v1; band: [v0, v1]
  std::string label, color;
};

//! Plot geometry.
struct plot_box {
  double width = 1160, height = 220, left = 70, right = 10, top = 24, bottom = 26;
};

namespace detail {

// min/max per pixel column of one line: the points of an envelope polyline (x, y) in pixels.
inline std::string envelope(const minmax_bins& b, const time_axis& ax, double y0, double ys,
                            double lo) {
  const auto cols = static_cast<std::size_t>(ax.w) + 1;
  struct col {
    double lo = 0, hi = 0, first = 0, last = 0;
    bool any = false;
  };
  std::vector<col> c(cols);
  for (const auto& bin : b.bins()) {
    const auto x = std::clamp(ax.x((bin.t0 + bin.t1) / 2) - ax.x0, 0.0, ax.w);
    auto& k = c[static_cast<std::size_t>(x)];
    if (!k.any) {
      k = {bin.lo, bin.hi, bin.first, bin.last, true};
    } else {
      k.lo = std::min(k.lo, bin.lo);
      k.hi = std::max(k.hi, bin.hi);
      k.last = bin.last;
    }
  }
  std::string pts;
  auto y = [&](double v) { return y0 - (v - lo) * ys; };
  for (std::size_t i = 0; i < cols; ++i) {
    if (!c[i].any) continue;
    const double x = ax.x0 + static_cast<double>(i);
    const bool rising = c[i].first <= c[i].last;
    const double a = rising ? c[i].lo : c[i].hi, z = rising ? c[i].hi : c[i].lo;
    fmt::format_to(std::back_inserter(pts), "{:.0f},{:.1f} ", x, y(a));
    if (a != z) fmt::format_to(std::back_inserter(pts), "{:.0f},{:.1f} ", x, y(z));
  }
  return pts;
}

}  // namespace detail

//! A plot of `lines` over the page's time range with `overlays`; `title` above it.
inline std::string plot(const std::string& title, const std::vector<line>& lines,
                        const std::vector<overlay>& overlays, std::int64_t t0, std::int64_t t1,
                        const plot_box& box = {}) {
  time_axis ax{t0, t1, box.left, box.width - box.left - box.right};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& l : lines)
    for (const auto& b : l.bins->bins()) lo = std::min(lo, b.lo), hi = std::max(hi, b.hi);
  for (const auto& o : overlays)
    if (o.kind != overlay::type::span)
      lo = std::min({lo, o.v0, o.v1}), hi = std::max({hi, o.v0, o.v1});
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi == lo) hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
  const double pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const double y0 = box.height - box.bottom, ys = (box.height - box.top - box.bottom) / (hi - lo);
  auto y = [&](double v) { return y0 - (v - lo) * ys; };
  // A title longer than the plot is cut (the whole of it is the SVG's <title>, shown on hover).
  const auto room = static_cast<std::size_t>((box.width - box.left) / 7.5);
  const std::string shown = title.size() > room ? title.substr(0, room - 1) + "…" : title;
  std::string o = fmt::format(
      "<svg class=\"plot\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" role=\"img\"><title>{2}</title>"
      "<text x=\"{3}\" y=\"15\" class=\"pt\">{4}</text>",
      box.width, box.height, esc(title), box.left, esc(shown));
  // Spans first (under everything), then grid, lines, evidence.
  for (const auto& ov : overlays)
    if (ov.kind == overlay::type::span)
      o += fmt::format(
          "<rect class=\"span\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{:.1f}\" "
          "fill=\"{}\"><title>{}</title></rect>",
          ax.x(ov.t0), box.top, std::max(1.0, ax.x(ov.t1) - ax.x(ov.t0)), y0 - box.top, ov.color,
          esc(ov.label));
  for (double v : value_ticks(lo, hi))
    o += fmt::format(
        "<line class=\"grid\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/><text class=\"yl\" "
        "x=\"{}\" y=\"{:.1f}\">{}</text>",
        box.left, box.width - box.right, y(v), y(v), box.left - 4, y(v) + 4, num(v));
  for (auto t : ax.ticks())
    o += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/><text "
        "class=\"xl\" x=\"{0:.1f}\" y=\"{3}\">{4}</text>",
        ax.x(t), box.top, y0, box.height - 8, ax.label(t));
  for (const auto& ov : overlays) {
    switch (ov.kind) {
      case overlay::type::hline:
        o += fmt::format(
            "<line class=\"ev\" x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" "
            "stroke=\"{}\"><title>{}</title></line>"
            "<text class=\"evl\" x=\"{}\" y=\"{:.1f}\" fill=\"{}\">{}</text>",
            box.left, box.width - box.right, y(ov.v0), y(ov.v0), ov.color, esc(ov.label),
            box.width - box.right - 4, y(ov.v0) - 3, ov.color, esc(ov.label));
        break;
      case overlay::type::segment:
        o += fmt::format(
            "<line class=\"ev\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" "
            "stroke=\"{}\"><title>{}</title></line>",
            ax.x(ov.t0), ax.x(ov.t1), y(ov.v0), y(ov.v1), ov.color, esc(ov.label));
        break;
      case overlay::type::band:
        o += fmt::format(
            "<rect class=\"band\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
            "fill=\"{}\"><title>{}</title></rect>",
            ax.x(ov.t0), y(ov.v1), std::max(1.0, ax.x(ov.t1) - ax.x(ov.t0)),
            std::max(1.0, y(ov.v0) - y(ov.v1)), ov.color, esc(ov.label));
        break;
      case overlay::type::span:
        break;
    }
  }
  double lx = box.left + 8;
  for (const auto& l : lines) {
    o += fmt::format(
        "<polyline class=\"series\" fill=\"none\" stroke=\"{}\" "
        "points=\"{}\"><title>{}</title></polyline>",
        l.color, detail::envelope(*l.bins, ax, y0, ys, lo), esc(l.label));
    o += fmt::format("<text class=\"lg\" x=\"{:.0f}\" y=\"{}\" fill=\"{}\">{}</text>", lx,
                     box.top + 12, l.color, esc(l.label));
    lx += 12 + 7.0 * static_cast<double>(l.label.size());
  }
  o += "</svg>";
  return o;
}

}  // namespace introspect::inline v1::report::svg
