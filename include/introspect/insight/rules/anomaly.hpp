#pragma once
//! Rule `anomaly`: a value far from its robust baseline (median and MAD), after a warm-up.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/insight/detail/robust.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! The first `warmup` samples of a series give its median and MAD exactly; after that both
//! follow the series as clipped exponentially weighted averages (weight `alpha`; a sample far
//! off moves them by at most one sigma times alpha, and anomalous samples not at all, so an
//! incident does not become the baseline). z = (x - median) / (1.4826 MAD), floored by
//! `min_spread` and `min_rel_spread` x |median|. Opens after `min_samples` consecutive samples
//! beyond `z` (onset = the first of them), closes after `min_samples` consecutive samples
//! within `clear_z` (end = the first of those). No seasonality is modelled.
struct anomaly {
  static constexpr std::string_view type_name = "anomaly";

  struct params {
    std::string metric;
    std::string source = "*";
    std::string kind = "metric";
    std::string field;
    std::string input = "value";
    double z = 6;
    double clear_z = 3;
    std::int64_t warmup = 30;
    double alpha = 0.05;
    std::int64_t min_samples = 3;
    std::string direction = "up";
    double min_spread = 0;
    double min_rel_spread = 0.01;
    // Set by prepare(): the string choices as numbers, so a sample does not compare strings.
    bool interval_mean = false;
    int sign = 1;  // +1 up, -1 down, 0 both
  };

  static void prepare(params& p) noexcept {
    p.interval_mean = p.input == "interval_mean";
    p.sign = p.direction == "up" ? 1 : p.direction == "down" ? -1 : 0;
  }

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.required("metric", p.metric, "name glob of the series");
    v.optional("source", p.source, "source glob");
    v.optional("kind", p.kind, "record kind (metric)");
    v.optional("field", p.field, "numeric field to watch instead of the value (e.g. p90)");
    v.optional("input", p.input,
               "\"value\" or \"interval_mean\" (a histogram's sum/count change between records)");
    v.optional("z", p.z, "robust z-score that counts as anomalous (6)");
    v.optional("clear_z", p.clear_z, "z-score under which the series is normal again (3)");
    v.optional("warmup", p.warmup, "samples before any judgement (30)");
    v.optional("alpha", p.alpha, "weight of a new sample in the baseline (0.05)");
    v.optional("min_samples", p.min_samples, "consecutive samples to open or close (3)");
    v.optional("direction", p.direction, "\"up\", \"down\" or \"both\"");
    v.optional("min_spread", p.min_spread, "least sigma, in the series' unit (0)");
    v.optional("min_rel_spread", p.min_rel_spread, "least sigma relative to the median (0.01)");
  }

  static std::optional<param_error> validate(const params& p) {
    if (!(p.z > 0)) return param_error{"z", "must be positive"};
    if (!(p.clear_z >= 0) || p.clear_z > p.z) return param_error{"clear_z", "must be in [0, z]"};
    if (p.warmup < 5) return param_error{"warmup", "must be at least 5"};
    if (!(p.alpha > 0 && p.alpha <= 1)) return param_error{"alpha", "must be in (0, 1]"};
    if (p.min_samples < 1) return param_error{"min_samples", "must be at least 1"};
    if (p.direction != "up" && p.direction != "down" && p.direction != "both")
      return param_error{"direction", "expected \"up\", \"down\" or \"both\""};
    if (p.input != "value" && p.input != "interval_mean")
      return param_error{"input", "expected \"value\" or \"interval_mean\""};
    if (p.min_spread < 0 || p.min_rel_spread < 0)
      return param_error{"min_spread", "must not be negative"};
    if (!kind_filter_valid(p.kind)) return param_error{"kind", "expected a record kind or \"any\""};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (!kind_matches(p.kind, k.kind) || !name_matches(p.source, k.source) ||
        !name_matches(p.metric, k.name))
      return std::nullopt;
    return match{std::string{k.name}};
  }

  static std::int64_t window_ns(const params&) noexcept { return 0; }

  struct state {
    std::string subject;
    std::vector<double> warm;
    std::int64_t n = 0;
    double median = 0, sigma = 0;
    double prev_sum = 0, prev_count = 0;
    bool has_prev = false;
    double value = 0, z = 0, peak_z = 0;
    std::int64_t run = 0, run_start = 0, calm = 0, calm_start = 0, last_ts = 0;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r, std::uint8_t) {
    std::optional<double> x;
    if (p.interval_mean) {
      const auto sum = numeric(r, "sum"), count = numeric(r, "count");
      if (!sum || !count) return false;
      const bool fresh = s.has_prev && *count > s.prev_count;
      if (fresh) x = (*sum - s.prev_sum) / (*count - s.prev_count);
      s.prev_sum = *sum;
      s.prev_count = *count;
      s.has_prev = true;
      if (!fresh) return true;  // the first record, no new observation, or a restart
    } else {
      x = numeric(r, p.field);
      if (!x) return false;
    }
    s.value = *x;
    s.last_ts = r.ts_ns;
    if (s.n < p.warmup) {
      s.warm.push_back(*x);
      if (++s.n == p.warmup) {
        double mad = 0;
        std::vector<double> scratch;
        detail::median_mad(s.warm, scratch, s.median, mad);
        s.sigma = 1.4826 * mad;
        s.warm = {};
      }
      return true;
    }
    ++s.n;
    const double sigma =
        std::max({s.sigma, p.min_spread, p.min_rel_spread * std::fabs(s.median), 1e-12});
    const double r0 = *x - s.median;
    s.z = r0 / sigma;
    const double zd = p.sign == 0 ? std::fabs(s.z) : p.sign * s.z;
    if (zd > p.z) {
      if (s.run++ == 0) s.run_start = r.ts_ns;
      s.calm = 0;
      if (ep.is_open()) s.peak_z = std::max(s.peak_z, zd);
      if (s.run >= p.min_samples && !ep.is_open()) {
        s.peak_z = zd;
        ep.open(s.run_start, zd, [&](evidence& e) {
          fill(s, e);
          e.message = sentence(s);
        });
      }
    } else {
      s.run = 0;
      if (ep.is_open() && zd < p.clear_z) {
        if (s.calm++ == 0) s.calm_start = r.ts_ns;
        if (s.calm >= p.min_samples) {
          s.calm = 0;
          ep.close(s.calm_start, zd, [&](evidence& e) {
            fill(s, e);
            e.message = fmt::format("{} back to normal ({:g}, baseline {:g})", s.subject, s.value,
                                    s.median);
          });
        }
      } else {
        s.calm = 0;
      }
    }
    // Anomalous samples (either side) do not teach the baseline anything.
    if (std::fabs(s.z) <= p.z) {
      const double clipped = std::clamp(r0, -sigma, sigma);
      s.median += p.alpha * clipped;
      // E|r| = 0.798 sigma for normal noise; |r| clipped at 3 sigma keeps one spike from
      // inflating the spread.
      s.sigma += p.alpha * (std::min(std::fabs(r0), 3 * sigma) * 1.2533 - s.sigma);
    }
    return true;
  }

  static void evaluate(const params&, state& s, episode& ep, const tick_context& ctx) {
    if (ep.is_open())
      ep.update(s.peak_z, ctx, [&](evidence& e) {
        fill(s, e);
        e.message = sentence(s);
      });
  }

 private:
  static std::string sentence(const state& s) {
    return fmt::format("{} anomalous: {:g} against a baseline of {:g} (z {:.1f}, peak {:.1f})",
                       s.subject, s.value, s.median, s.z, s.peak_z);
  }
  static void fill(const state& s, evidence& e) {
    e.add("value", s.value);
    e.add("baseline", s.median);
    e.add("sigma", s.sigma);
    e.add("z", s.z);
    e.add("peak_z", s.peak_z);
    e.add("trigger_name", std::string_view{s.subject});
    e.add("trigger_ts", s.run_start);
    e.add("last_ts", s.last_ts);
  }
};

}  // namespace introspect::inline v1::insight
