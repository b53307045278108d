#pragma once
//! Prometheus naming and number spelling shared by the exposition, the OpenMetrics export and the
//! live endpoint: metric names, base units, label escaping, float text.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include <introspect/core/record.hpp>

namespace introspect::inline v1::exporters::detail {

// Metric names allow [a-zA-Z_:][a-zA-Z0-9_:]*; everything else becomes '_'.
inline std::string prom_name(std::string_view n) {
  std::string s;
  s.reserve(n.size() + 1);
  // A leading '_' goes in first rather than by insert(0, ..): GCC 12 at -O3 reports a false
  // -Wrestrict on that insert's memmove (GCC bug 105329), which a product's -Werror would hit.
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) s.push_back('_');
  for (char c : n)
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':') ? c : '_';
  return s;
}

// Label names allow [a-zA-Z_][a-zA-Z0-9_]* (no ':').
inline std::string prom_label_name(std::string_view n) {
  std::string s = prom_name(n);
  for (char& c : s)
    if (c == ':') c = '_';
  return s;
}

//! A Prometheus metric name in base units and the factor that converts values to them.
struct prom_metric_name {
  std::string name;
  double scale = 1.0;
};

// Prometheus names carry base units: a token naming a scaled or abbreviated unit becomes the
// base unit and the value is scaled ("latency_us" 87 → "latency_seconds" 8.7e-05).
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

// v in base units. Divides by a decimal factor instead of multiplying by its inexact inverse,
// so 127 us is 0.000127 s, not 0.00012699999999999999.
inline double scaled(double v, double scale) {
  if (scale < 1.0 && scale > 0.0) return v / std::round(1.0 / scale);
  return v * scale;
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

}  // namespace introspect::inline v1::exporters::detail
