#pragma once
//! Rule `exhaustion`: a robust linear fit of a gauge towards its limit ("disk sdb full in ~3 h").
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>
#include <introspect/insight/detail/robust.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! Samples of a gauge are averaged into `points` time buckets over `window` (aligned to absolute
//! time, so the result does not depend on when evaluations happen); when a bucket completes, a
//! Theil–Sen line (over the pairs of buckets at least half the window apart) predicts when the
//! gauge reaches its limit. Opens when that is less than `horizon` away, closes when it is more
//! than `clear_horizon` away or the gauge stops growing. The limit is `limit`, a numeric field
//! `limit_field` of the gauge's records, or the latest value of the companion gauge `limit_metric`
//! (its `*` stands for what the `*` of `metric` matched: "disk.*.used_bytes" pairs with
//! "disk.*.capacity_bytes").
struct exhaustion {
  static constexpr std::string_view type_name = "exhaustion";

  struct params {
    std::string metric;
    std::string source = "*";
    std::string field;
    std::optional<double> limit;
    std::string limit_field;
    std::string limit_metric;
    duration window{3'600'000'000'000};
    duration horizon{};
    std::optional<duration> clear_horizon;
    std::int64_t points = 30;
    std::int64_t min_points = 10;
  };

  template <class P, class V>
  static void describe(P& p, V& v) {
    v.required("metric", p.metric, "name glob of the gauge that grows towards its limit");
    v.optional("source", p.source, "source glob");
    v.optional("field", p.field, "numeric field to fit instead of the value");
    v.optional("limit", p.limit, "a fixed limit");
    v.optional("limit_field", p.limit_field, "the limit is this numeric field of the records");
    v.optional("limit_metric", p.limit_metric, "the limit is this companion gauge (glob with *)");
    v.optional("window", p.window, "how much history the fit uses (1h)");
    v.required("horizon", p.horizon, "fires when the limit is predicted sooner than this");
    v.optional("clear_horizon", p.clear_horizon, "closes when predicted later than this (2x)");
    v.optional("points", p.points, "time buckets in the window (30)");
    v.optional("min_points", p.min_points, "completed buckets needed before predicting (10)");
  }

  static std::optional<param_error> validate(const params& p) {
    const int limits = p.limit.has_value() + !p.limit_field.empty() + !p.limit_metric.empty();
    if (limits != 1)
      return param_error{
          "limit", "exactly one of \"limit\", \"limit_field\" or \"limit_metric\" is required"};
    if (p.window.ns <= 0) return param_error{"window", "must be positive"};
    if (p.horizon.ns <= 0) return param_error{"horizon", "must be positive"};
    if (p.clear_horizon && p.clear_horizon->ns < p.horizon.ns)
      return param_error{"clear_horizon", "must not be shorter than \"horizon\""};
    if (p.points < 3 || p.points > 64) return param_error{"points", "must be between 3 and 64"};
    if (p.min_points < 3 || p.min_points > p.points)
      return param_error{"min_points", "must be between 3 and \"points\""};
    return std::nullopt;
  }

  static std::optional<match> select(const params& p, const record_key& k) {
    if (k.kind != record_kind::metric || !name_matches(p.source, k.source)) return std::nullopt;
    if (auto c = glob_capture(p.metric, k.name)) return match{std::string{k.name}, 0};
    if (!p.limit_metric.empty())
      if (auto c = glob_capture(p.limit_metric, k.name))
        return match{glob_is_literal(p.metric) ? p.metric : glob_fill(p.metric, *c), 1};
    return std::nullopt;
  }

  static std::int64_t window_ns(const params& p) noexcept { return p.window.ns; }

  struct bucket {
    double t = 0;  // mean time, seconds since the epoch
    double v = 0;  // mean value
  };

  struct state {
    std::string subject;
    std::optional<double> limit;
    std::deque<bucket> buckets;
    std::int64_t cur_index = std::numeric_limits<std::int64_t>::min();
    double sum_dt = 0, sum_v = 0;  // of the current bucket, dt relative to its start
    std::int64_t n = 0;
    double value = 0, slope = 0, fitted = 0;
    std::int64_t last_ts = 0, decided_at = 0, full_at = 0;
    double eta_s = std::numeric_limits<double>::infinity();
    std::vector<double> ts_, vs_, scratch_;
  };

  static bool observe(const params& p, state& s, episode& ep, const record_view& r,
                      std::uint8_t role) {
    if (role == 1) {
      if (auto x = numeric(r, {})) s.limit = *x;
      return s.limit.has_value();
    }
    const auto x = numeric(r, p.field);
    if (!x) return false;
    if (!p.limit_field.empty()) {
      if (auto l = numeric(r, p.limit_field)) s.limit = *l;
    } else if (p.limit) {
      s.limit = *p.limit;
    }
    const std::int64_t width = std::max<std::int64_t>(p.window.ns / p.points, 1);
    const std::int64_t idx = r.ts_ns >= 0 ? r.ts_ns / width : -((-r.ts_ns + width - 1) / width);
    if (idx != s.cur_index) {
      if (s.n > 0) {
        const double start = static_cast<double>(s.cur_index) * static_cast<double>(width);
        s.buckets.push_back({(start + s.sum_dt / static_cast<double>(s.n)) / 1e9,
                             s.sum_v / static_cast<double>(s.n)});
        const double oldest = static_cast<double>(r.ts_ns - p.window.ns) / 1e9;
        while (!s.buckets.empty() && (s.buckets.size() > static_cast<std::size_t>(p.points) ||
                                      s.buckets.front().t < oldest))
          s.buckets.pop_front();
        decide(p, s, ep, r.ts_ns);
      }
      s.cur_index = idx;
      s.sum_dt = s.sum_v = 0;
      s.n = 0;
    }
    s.sum_dt += static_cast<double>(r.ts_ns - idx * width);
    s.sum_v += *x;
    ++s.n;
    s.value = *x;
    s.last_ts = r.ts_ns;
    return true;
  }

  static void evaluate(const params& p, state& s, episode& ep, const tick_context& ctx) {
    if (ep.is_open())
      ep.update(s.eta_s, ctx, [&](evidence& e) {
        fill(p, s, e);
        e.message = sentence(s);
      });
  }

  //! A subject with a gauge but no limit cannot be predicted: say so after the run.
  static void diagnose(const params& p, const state& s, std::vector<std::string>& out) {
    if (!s.limit)
      out.push_back(fmt::format(
          "no limit known for {} ({})", s.subject,
          !p.limit_metric.empty()
              ? fmt::format(
                    "companion gauge \"{}\" never seen",
                    glob_fill(p.limit_metric, glob_capture(p.metric, s.subject).value_or("*")))
              : fmt::format("field \"{}\" absent", p.limit_field)));
  }

 private:
  static void decide(const params& p, state& s, episode& ep, std::int64_t now) {
    if (static_cast<std::int64_t>(s.buckets.size()) < p.min_points || !s.limit) return;
    s.ts_.clear();
    s.vs_.clear();
    const double t_base = s.buckets.back().t;
    for (const auto& b : s.buckets) {
      s.ts_.push_back(b.t - t_base);  // small numbers keep the slopes exact
      s.vs_.push_back(b.v);
    }
    const auto fit = detail::theil_sen(s.ts_, s.vs_, s.scratch_, s.ts_.size() / 2);
    if (!fit.ok) return;
    s.slope = fit.slope;
    s.fitted = fit.at(0);
    s.decided_at = now;
    const double remaining = *s.limit - s.fitted;
    if (remaining <= 0) {
      s.eta_s = 0;
      s.full_at = now;
    } else if (s.slope > 0) {
      const double full = t_base + remaining / s.slope;  // seconds since the epoch
      s.eta_s = std::max(0.0, full - static_cast<double>(now) / 1e9);
      s.full_at = full < 9.2e9 ? static_cast<std::int64_t>(full * 1e9)
                               : std::numeric_limits<std::int64_t>::max();
    } else {
      s.eta_s = std::numeric_limits<double>::infinity();
      s.full_at = 0;
    }
    const double horizon = static_cast<double>(p.horizon.ns) / 1e9;
    const double clear =
        static_cast<double>(p.clear_horizon ? p.clear_horizon->ns : 2 * p.horizon.ns) / 1e9;
    if (!ep.is_open() && s.eta_s < horizon) {
      ep.open(now, s.eta_s, [&](evidence& e) {
        fill(p, s, e);
        e.message = sentence(s);
      });
    } else if (ep.is_open() && s.eta_s > clear) {
      ep.close(now, std::isfinite(s.eta_s) ? s.eta_s : -1.0, [&](evidence& e) {
        fill(p, s, e);
        e.message = std::isfinite(s.eta_s)
                        ? fmt::format("{} no longer near its limit (~{} left)", s.subject,
                                      human_duration(static_cast<std::int64_t>(s.eta_s * 1e9)))
                        : fmt::format("{} stopped growing", s.subject);
      });
    }
  }
  static std::string sentence(const state& s) {
    return fmt::format("{} reaches its limit {:g} in ~{} (now {:g}, +{:.3g}/s)", s.subject,
                       *s.limit, human_duration(static_cast<std::int64_t>(s.eta_s * 1e9)), s.fitted,
                       s.slope);
  }
  static void fill(const params& p, const state& s, evidence& e) {
    if (auto c = glob_capture(p.metric, s.subject)) e.add("match", *c);
    e.add("value", s.value);
    e.add("fitted", s.fitted);
    e.add("limit", s.limit.value_or(0.0));
    e.add("slope_per_s", s.slope);
    if (std::isfinite(s.eta_s)) {
      e.add("eta_ns", static_cast<std::int64_t>(s.eta_s * 1e9));
      e.add("full_ts", s.full_at);
    }
    e.add("points", static_cast<std::int64_t>(s.buckets.size()));
    e.add("trigger_name", std::string_view{s.subject});
    e.add("first_ts", static_cast<std::int64_t>(s.buckets.empty() ? 0 : s.buckets.front().t * 1e9));
    e.add("trigger_ts", s.last_ts);
  }
};

}  // namespace introspect::inline v1::insight
