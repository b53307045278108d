#pragma once
//! The text a Prometheus scrape receives, rendered from a live metric registry: the Prometheus
//! text format 0.0.4, or OpenMetrics 1.0 when the scraper asks for it.
//!
//! @code
//! expose::registry_exposition text(exporters::name_mapping({"disk.{disk}.*"}));
//! std::string body;
//! text.render(registry, expose::exposition_format::prometheus_text, body);
//! @endcode
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <introspect/export/name_mapping.hpp>
#include <introspect/export/prom_names.hpp>
#include <introspect/metrics/registry.hpp>

namespace introspect::inline v1::expose {

//! The two exposition formats a scraper can ask for.
enum class exposition_format { prometheus_text, openmetrics };

//! The Content-Type header of each format.
constexpr std::string_view content_type(exposition_format f) noexcept {
  return f == exposition_format::openmetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

//! Renders a registry: counters as `<family>_total`, gauges as gauges, histograms as
//! `_bucket{le}`/`_sum`/`_count` with a bucket at every power of two of the raw unit.
//!
//! Names are mapped once per metric and cached (a scrape of an unchanged registry only formats
//! numbers). Not thread-safe: one scrape at a time (the endpoint serialises them).
class registry_exposition {
 public:
  explicit registry_exposition(exporters::name_mapping m = {}) : mapping_(std::move(m)) {}

  //! Replaces `out` with the exposition of every metric in `reg`.
  void render(const metrics::registry& reg, exposition_format fmt, std::string& out) {
    for (auto& f : families_) f.body.clear();
    reg.snapshot([&](std::string_view name, const auto& sample) {
      using S = std::remove_cvref_t<decltype(sample)>;
      if constexpr (std::is_same_v<S, metrics::counter_sample>) {
        auto& m = lookup(counters_, name, kind::counter);
        auto& b = families_[m.family].body;
        fmt::format_to(
            std::back_inserter(b), "{}_total{} {}\n", families_[m.family].name, m.labels,
            number(exporters::detail::scaled(static_cast<double>(sample.value), m.scale)));
      } else if constexpr (std::is_same_v<S, metrics::gauge_sample>) {
        auto& m = lookup(gauges_, name, kind::gauge);
        fmt::format_to(std::back_inserter(families_[m.family].body), "{}{} {}\n",
                       families_[m.family].name, m.labels,
                       number(exporters::detail::scaled(sample.value, m.scale)));
      } else {
        auto& m = lookup(histograms_, name, kind::histogram);
        write_histogram(m, sample);
      }
    });
    out.clear();
    for (const auto& f : families_) {
      if (f.body.empty()) continue;
      const bool om = fmt == exposition_format::openmetrics;
      // 0.0.4 names a counter family by its sample name; OpenMetrics without the _total suffix.
      const std::string_view suffix = f.type == kind::counter && !om ? "_total" : "";
      const char* type = f.type == kind::counter ? "counter"
                         : f.type == kind::gauge ? "gauge"
                                                 : "histogram";
      fmt::format_to(std::back_inserter(out), "# HELP {}{} introspect metric {}\n# TYPE {}{} {}\n",
                     f.name, suffix, f.help, f.name, suffix, type);
      out += f.body;
    }
    if (fmt == exposition_format::openmetrics) out += "# EOF\n";
  }

 private:
  enum class kind { counter, gauge, histogram };
  struct family {
    std::string name;
    kind type;
    std::string help;  // the first introspect name mapped to it
    std::string body;  // this scrape's samples, capacity kept between scrapes
  };
  struct mapped {
    std::size_t family = 0;
    std::string labels;  // "{disk=\"sdb\"}" or ""
    std::string labels_inner;
    double scale = 1.0;
    unsigned buckets_shown = 0;  // histogram: powers of two exposed so far (never shrinks)
  };
  // Keyed by the address of the registry's stored name: stable for the registry's life, and a
  // pointer hash costs nothing next to hashing the name.
  using cache = std::unordered_map<const char*, mapped>;

  mapped& lookup(cache& c, std::string_view name, kind k) {
    const auto it = c.find(name.data());
    if (it != c.end()) return it->second;
    auto n = mapping_.map(name);
    mapped m;
    m.scale = n.scale;
    for (const auto& [key, v] : n.labels) {
      if (!m.labels_inner.empty()) m.labels_inner += ',';
      m.labels_inner += fmt::format("{}=\"{}\"", key, exporters::detail::label_value(v));
    }
    if (!m.labels_inner.empty()) m.labels = '{' + m.labels_inner + '}';
    m.family = family_of(std::move(n.family), k, name);
    return c.emplace(name.data(), std::move(m)).first->second;
  }

  std::size_t family_of(std::string fam, kind k, std::string_view help) {
    for (;;) {
      const auto it = family_index_.find(fam);
      if (it == family_index_.end()) break;
      if (families_[it->second].type == k) return it->second;
      // One family name for two types (a counter and a gauge both called x): the later one
      // gets its type as a suffix, as two families of one name would be rejected.
      fam += k == kind::counter ? "_counter" : k == kind::gauge ? "_gauge" : "_histogram";
    }
    families_.push_back({fam, k, std::string{help}, {}});
    family_index_.emplace(std::move(fam), families_.size() - 1);
    return families_.size() - 1;
  }

  void write_histogram(mapped& m, const metrics::histogram_snapshot& s) {
    auto& f = families_[m.family];
    auto& b = f.body;
    const std::string_view sep = m.labels_inner.empty() ? "" : ",";
    // Cumulative counts at le = 2^k - 1, a bucket edge of the log-linear layout, so each count
    // is exact; shown up to the bucket holding the largest observation, never fewer than before
    // (a series that vanishes between scrapes would break rate()).
    std::uint64_t cum = 0;
    unsigned bucket = 0;
    unsigned k = 0;
    for (; k < 64; ++k) {
      const std::uint64_t edge = std::uint64_t{1} << k;  // le = edge - 1
      const unsigned end = metrics::detail::bucket_index(edge);
      for (; bucket < end; ++bucket) cum += s.buckets[bucket];
      fmt::format_to(
          std::back_inserter(b), "{}_bucket{{{}{}le=\"{}\"}} {}\n", f.name, m.labels_inner, sep,
          number(exporters::detail::scaled(static_cast<double>(edge - 1), m.scale)), cum);
      if (cum >= s.count && k + 1 >= m.buckets_shown) break;
    }
    m.buckets_shown = k + 1;
    fmt::format_to(std::back_inserter(b), "{}_bucket{{{}{}le=\"+Inf\"}} {}\n", f.name,
                   m.labels_inner, sep, s.count);
    fmt::format_to(std::back_inserter(b), "{}_sum{} {}\n{}_count{} {}\n", f.name, m.labels,
                   number(exporters::detail::scaled(static_cast<double>(s.sum), m.scale)), f.name,
                   m.labels, s.count);
  }

  static std::string number(double v) { return exporters::detail::number(v); }

  exporters::name_mapping mapping_;
  cache counters_, gauges_, histograms_;
  std::vector<family> families_;
  std::unordered_map<std::string, std::size_t> family_index_;
};

}  // namespace introspect::inline v1::expose
