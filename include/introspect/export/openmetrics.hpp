#pragma once
//! OpenMetrics text of a store's whole metric history, every sample with its timestamp: the
//! input `promtool tsdb create-blocks-from openmetrics` backfills a Prometheus TSDB from.
//!
//! @code
//! exporters::openmetrics_history om;
//! while (src->next(r)) om.add(r);
//! om.write([&](std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); });
//! @endcode
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/export/histogram_buckets.hpp>
#include <introspect/export/name_mapping.hpp>
#include <introspect/export/prom_names.hpp>

namespace introspect::inline v1::exporters {

//! Collects every metric sample, grouped by family and series, and writes them in the order
//! OpenMetrics requires: one block per family, each series' points in increasing time.
//!
//! Counters become `<family>_total`, gauges gauges, histogram snapshots histograms: cumulative
//! `_bucket{le}` at every power of two of the recorded unit (from the stored bucket counts; a
//! record without them has only `le="+Inf"`), `_sum` and `_count`. Labels are `instance`, `source`
//! and those the name mapping takes from the name. Timestamps keep milliseconds, Prometheus's
//! resolution; of two samples of a series in one millisecond the later record wins.
class openmetrics_history {
 public:
  explicit openmetrics_history(name_mapping m = {}) : mapping_(std::move(m)) {}

  //! Keeps `r` if it is a metric; other kinds are ignored.
  void add(const record& r) {
    if (r.kind != record_kind::metric) return;
    auto& names = mapped_[r.name];
    if (names.family.empty()) names = mapping_.map(r.name);
    const auto type = r.mtype == metric_type::counter     ? family_type::counter
                      : r.mtype == metric_type::histogram ? family_type::histogram
                                                          : family_type::gauge;
    // A name used by two types (a counter and a gauge both mapped to one family) would make
    // two families of one name, which OpenMetrics rejects: the later type gets a suffix.
    std::string fam_name = names.family;
    auto it = families_.find(fam_name);
    if (it != families_.end() && it->second.type != type) {
      fam_name += type == family_type::counter     ? "_counter"
                  : type == family_type::histogram ? "_histogram"
                                                   : "_gauge";
      it = families_.find(fam_name);
    }
    if (it == families_.end())
      it = families_.emplace(fam_name, family{type, r.name, names.scale, {}}).first;
    auto& fam = it->second;

    std::string labels =
        fmt::format("instance=\"{}\",source=\"{}\"", detail::label_value(r.instance),
                    detail::label_value(r.source));
    for (const auto& [k, v] : names.labels)
      labels += fmt::format(",{}=\"{}\"", k, detail::label_value(v));
    point p;
    p.ms = floor_div(r.ts_ns, 1'000'000);
    p.seq = seq_++;
    if (type == family_type::histogram) {
      p.v[3] = detail::numeric(r.find_field("sum"));
      p.v[4] = detail::numeric(r.find_field("count"));
      detail::power_of_two_buckets(r, p.cum);
    } else {
      p.v[0] = detail::numeric(&r.val);
    }
    fam.series[labels].push_back(p);
    ++samples_;
  }

  //! Metric samples kept so far.
  [[nodiscard]] std::uint64_t samples() const noexcept { return samples_; }

  //! Writes the text through `out(std::string_view)`, in pieces, ending with `# EOF`.
  template <class Out>
  void write(Out&& out) {
    std::string buf;
    auto flush = [&](bool force) {
      if (force || buf.size() > (1u << 16)) {
        out(std::string_view{buf});
        buf.clear();
      }
    };
    for (auto& [name, fam] : families_) {
      const char* type = fam.type == family_type::counter     ? "counter"
                         : fam.type == family_type::histogram ? "histogram"
                                                              : "gauge";
      fmt::format_to(std::back_inserter(buf), "# TYPE {} {}\n# HELP {} introspect metric {}\n",
                     name, type, name, escape_help(fam.source_name));
      for (auto& [labels, points] : fam.series) {
        // Records of several streams or stores arrive merged by time but not always in order.
        std::stable_sort(points.begin(), points.end(),
                         [](const point& a, const point& b) { return a.ms < b.ms; });
        // Every sample of a histogram series shows the same edges (up to its largest value
        // ever): an `le` series that comes and goes would break rate() over the backfill.
        std::size_t edges = 0;
        for (const auto& p : points) edges = std::max(edges, p.cum.size());
        for (std::size_t i = 0; i < points.size(); ++i) {
          if (i + 1 < points.size() && points[i + 1].ms == points[i].ms) continue;
          write_point(buf, name, fam, labels, points[i], edges);
          flush(false);
        }
      }
    }
    buf += "# EOF\n";
    flush(true);
  }

 private:
  enum class family_type { counter, gauge, histogram };
  struct point {
    std::int64_t ms = 0;
    std::uint64_t seq = 0;
    std::array<double, 5> v{};       // the value; for a histogram v[3] = sum, v[4] = count
    std::vector<std::uint64_t> cum;  // a histogram's cumulative power-of-two buckets
  };
  struct family {
    family_type type;
    std::string source_name;
    double scale;
    std::map<std::string, std::vector<point>> series;  // by label text
  };

  static std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  }
  static std::string timestamp(std::int64_t ms) {
    const auto s = floor_div(ms, 1000);
    return fmt::format("{}.{:03}", s, ms - s * 1000);
  }
  static std::string escape_help(std::string_view s) {
    std::string o;
    for (char c : s) {
      if (c == '\\')
        o += "\\\\";
      else if (c == '\n')
        o += "\\n";
      else
        o += c;
    }
    return o;
  }

  static void write_point(std::string& buf, const std::string& name, const family& fam,
                          const std::string& labels, const point& p, std::size_t edges) {
    const auto ts = timestamp(p.ms);
    auto line = [&](std::string_view suffix, std::string_view extra, double v) {
      fmt::format_to(std::back_inserter(buf), "{}{}{{{}{}}} {} {}\n", name, suffix, labels, extra,
                     detail::number(v), ts);
    };
    switch (fam.type) {
      case family_type::counter:
        line("_total", "",
             detail::scaled(p.v[0], fam.scale));  // a total of milliseconds is one of seconds
        break;
      case family_type::gauge:
        line("", "", detail::scaled(p.v[0], fam.scale));
        break;
      case family_type::histogram:
        detail::write_buckets(buf, name, labels, p.cum, edges, p.v[4], fam.scale,
                              fmt::format(" {}", ts));
        line("_sum", "", detail::scaled(p.v[3], fam.scale));
        line("_count", "", p.v[4]);
        break;
    }
  }

  name_mapping mapping_;
  std::map<std::string, mapped_name, std::less<>> mapped_;
  std::map<std::string, family> families_;
  std::uint64_t seq_ = 0;
  std::uint64_t samples_ = 0;
};

}  // namespace introspect::inline v1::exporters
