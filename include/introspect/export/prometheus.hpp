#pragma once
//! Prometheus text exposition (format 0.0.4) of the latest value of every metric: counters as
//! `<name>_total`, gauges as gauges, histograms as summaries with p50/p90/p99 quantiles.
#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include <fmt/format.h>

#include <introspect/core/record.hpp>

namespace introspect::inline v1::exporters {

namespace detail {
// Metric names allow [a-zA-Z_:][a-zA-Z0-9_:]*; everything else becomes '_'.
inline std::string prom_name(std::string_view n) {
  std::string s;
  for (char c : n)
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':') ? c : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s.insert(0, "_");
  return s;
}
// Prometheus names carry base units: a token naming a scaled or abbreviated unit becomes the
// base unit and the value is scaled ("latency_us" 87 → "latency_seconds" 8.7e-05).
struct prom_metric_name {
  std::string name;
  double scale = 1.0;
};
inline prom_metric_name prom_base_units(std::string_view n) {
  static const std::pair<std::string_view, std::pair<std::string_view, double>> units[] = {
      {"ns", {"seconds", 1e-9}},       {"nanoseconds", {"seconds", 1e-9}},
      {"us", {"seconds", 1e-6}},       {"microseconds", {"seconds", 1e-6}},
      {"ms", {"seconds", 1e-3}},       {"milliseconds", {"seconds", 1e-3}},
      {"sec", {"seconds", 1.0}},       {"secs", {"seconds", 1.0}},
      {"kb", {"bytes", 1024.0}},       {"kilobytes", {"bytes", 1024.0}},
      {"mb", {"bytes", 1048576.0}},    {"megabytes", {"bytes", 1048576.0}},
      {"gb", {"bytes", 1073741824.0}}, {"gigabytes", {"bytes", 1073741824.0}},
      {"pct", {"ratio", 0.01}},        {"percent", {"ratio", 0.01}}};
  prom_metric_name out;
  std::string base = prom_name(n);
  std::size_t start = 0;
  while (start <= base.size()) {
    auto end = base.find('_', start);
    if (end == std::string::npos) end = base.size();
    std::string_view tok{base.data() + start, end - start};
    std::string t{tok};
    for (const auto& [abbr, full] : units)
      if (tok == abbr) {
        t = full.first;
        out.scale *= full.second;
      }
    if (!out.name.empty()) out.name += '_';
    out.name += t;
    start = end + 1;
  }
  return out;
}

inline std::string label_value(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c == '\\')
      s += "\\\\";
    else if (c == '"')
      s += "\\\"";
    else if (c == '\n')
      s += "\\n";
    else
      s += c;
  }
  return s;
}
inline std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}
inline double numeric(const value* v) {
  if (!v) return std::nan("");
  return std::visit(
      [](const auto& x) -> double {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::int64_t> || std::is_same_v<X, double>)
          return static_cast<double>(x);
        else if constexpr (std::is_same_v<X, bool>)
          return x ? 1.0 : 0.0;
        else
          return std::nan("");
      },
      *v);
}
}  // namespace detail

//! Collects the latest sample of each (metric, instance, source) and writes the exposition.
class prometheus_exporter {
 public:
  //! Keeps `r` if it is a metric newer than what is held for its series.
  void add(const record& r) {
    if (r.kind != record_kind::metric) return;
    auto n = detail::prom_base_units(r.name);
    auto& s = series_[{n.name, r.instance, r.source}];
    if (s.ts_ns <= r.ts_ns) s = {r.ts_ns, n.scale, r};
  }

  //! The exposition text, grouped per metric family with HELP and TYPE lines.
  std::string text() const {
    std::string out, family;
    for (const auto& [key, s] : series_) {
      const auto& [name, instance, source] = key;
      const auto& r = s.rec;
      auto num = [&](const value* v) { return detail::number(detail::numeric(v) * s.scale); };
      const bool counter = r.mtype == metric_type::counter;
      const bool summary = r.mtype == metric_type::histogram;
      const std::string fam = counter ? name + "_total" : name;
      const std::string labels =
          fmt::format("instance=\"{}\",source=\"{}\"", detail::label_value(instance),
                      detail::label_value(source));
      if (fam != family) {
        family = fam;
        out += fmt::format("# HELP {} introspect metric {}\n", fam, detail::label_value(r.name));
        out += fmt::format("# TYPE {} {}\n", fam,
                           counter   ? "counter"
                           : summary ? "summary"
                                     : "gauge");
      }
      if (summary) {
        for (auto [q, k] : {std::pair{"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}})
          out += fmt::format("{}{{{},quantile=\"{}\"}} {}\n", fam, labels, q, num(r.find_field(k)));
        out += fmt::format("{}_sum{{{}}} {}\n", fam, labels, num(r.find_field("sum")));
        out += fmt::format("{}_count{{{}}} {}\n", fam, labels,
                           detail::number(detail::numeric(r.find_field("count"))));
      } else {
        out += fmt::format("{}{{{}}} {}\n", fam, labels,
                           counter ? detail::number(detail::numeric(&r.val)) : num(&r.val));
      }
    }
    return out;
  }

 private:
  struct sample {
    std::int64_t ts_ns = INT64_MIN;
    double scale = 1.0;
    record rec;
  };
  std::map<std::tuple<std::string, std::string, std::string>, sample> series_;
};

}  // namespace introspect::inline v1::exporters
