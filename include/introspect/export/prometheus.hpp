#pragma once
//! Prometheus text exposition (format 0.0.4) of the latest value of every metric: counters as
//! `<name>_total`, gauges as gauges, histograms as histograms: cumulative `_bucket{le}` at every
//! power of two of the recorded unit (from the stored bucket counts), `_sum` and `_count`.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/export/histogram_buckets.hpp>
#include <introspect/export/prom_names.hpp>

namespace introspect::inline v1::exporters {

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
      auto num = [&](const value* v) {
        return detail::number(detail::scaled(detail::numeric(v), s.scale));
      };
      const bool counter = r.mtype == metric_type::counter;
      const bool histogram = r.mtype == metric_type::histogram;
      const std::string fam = counter ? name + "_total" : name;
      const std::string labels =
          fmt::format("instance=\"{}\",source=\"{}\"", detail::label_value(instance),
                      detail::label_value(source));
      if (fam != family) {
        family = fam;
        out += fmt::format("# HELP {} introspect metric {}\n", fam, detail::label_value(r.name));
        out += fmt::format("# TYPE {} {}\n", fam,
                           counter     ? "counter"
                           : histogram ? "histogram"
                                       : "gauge");
      }
      if (histogram) {
        std::vector<std::uint64_t> cum;
        detail::power_of_two_buckets(r, cum);
        detail::write_buckets(out, fam, labels, cum, cum.size(),
                              detail::numeric(r.find_field("count")), s.scale, "");
        out += fmt::format("{}_sum{{{}}} {}\n", fam, labels, num(r.find_field("sum")));
        out += fmt::format("{}_count{{{}}} {}\n", fam, labels,
                           detail::number(detail::numeric(r.find_field("count"))));
      } else {
        out += fmt::format("{}{{{}}} {}\n", fam, labels,
                           num(&r.val));  // a total of milliseconds is one of seconds
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
