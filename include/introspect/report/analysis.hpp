#pragma once
//! One time-ordered pass over a store that gathers what `introspect summary` and `introspect
//! report` show: counts, insight episodes (the rules replayed offline, as `introspect
//! insights` does), state tracks, notification marks, drop counters, silent components, and
//! every metric series binned for plotting with interval semantics (query/interval.hpp):
//! counters as rates, histograms as interval p99 and interval mean.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/replay.hpp>
#include <introspect/query/interval.hpp>
#include <introspect/report/bins.hpp>
#include <introspect/report/episodes.hpp>

namespace introspect::inline v1::report {

//! One plotted series: a metric of one instance, as a support engineer reads it.
struct series {
  std::string instance, name;
  std::string what;  //!< "value", "rate /s", "interval p99", "interval mean", "p99 (since start)"
  minmax_bins bins;
  double sum = 0, sumsq = 0;
  std::uint64_t n = 0;
  //! How much the series moves relative to its level (the "top metrics" order).
  double variation() const {
    if (n < 3) return 0;
    const double mean = sum / static_cast<double>(n);
    const double var = std::max(0.0, sumsq / static_cast<double>(n) - mean * mean);
    return std::sqrt(var) / (std::abs(mean) + 1e-9);
  }
};

//! The changes of one state key of one instance (table lines are not changes).
struct state_track {
  std::string instance, key;
  std::vector<std::pair<std::int64_t, std::string>> changes;  //!< capped; `total` counts all
  std::uint64_t total = 0;
};

//! Where the pass looked and what it found, for summary and report.
struct analysis {
  std::vector<std::string> instances;
  std::int64_t first = 0, last = 0;
  std::uint64_t records = 0;
  std::map<std::string, std::uint64_t> by_kind, by_severity;
  std::vector<episode> episodes;  //!< by onset
  std::vector<std::tuple<std::string, std::string, std::int64_t>>
      silent;                                                   //!< instance, what, last seen
  std::vector<state_track> tracks;                              //!< by changes, most first
  std::map<std::pair<std::string, std::string>, double> drops;  //!< (instance, name) -> last value
  std::vector<std::string> damage;
  std::vector<series> plots;  //!< every metric series (sorted by instance, name, what)
  //! Notifications per severity per time bin (marks on the timeline).
  std::map<int, minmax_bins> marks;
  std::vector<std::string> diagnostics;  //!< the rules' own remarks
};

//! What analyze() is asked for.
struct analysis_options {
  std::size_t max_changes_per_track = 20000;
  std::int64_t silent_after_ns = 60'000'000'000;  //!< no record for this long before the end
};

namespace detail {

struct series_state {
  bool has_prev = false;
  cumulative_sample prev;
  series* value = nullptr;   // gauge value, counter rate, histogram interval p99
  series* mean = nullptr;    // histogram interval mean
  series* stored = nullptr;  // histogram p99 as stored (since the process started)
};

inline double number_field(const record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  if (!v) return std::nan("");
  const auto vv = to_view(*v);
  return vv.type() == value_type::integer || vv.type() == value_type::real ? vv.as_number()
                                                                           : std::nan("");
}

// The value at quantile q of the observations between two cumulative bucket lists (both
// ascending by index): the bucket midpoint, as interval_totals::quantile gives it.
inline double interval_quantile(const std::vector<metrics::bucket_count_entry>& prev,
                                const std::vector<metrics::bucket_count_entry>& cur, bool reset,
                                double q) {
  thread_local std::vector<std::pair<unsigned, std::uint64_t>> d;
  d.clear();
  std::uint64_t total = 0;
  std::size_t j = 0;
  for (const auto& e : cur) {
    std::uint64_t before = 0;
    if (!reset) {
      while (j < prev.size() && prev[j].index < e.index) ++j;
      if (j < prev.size() && prev[j].index == e.index) before = prev[j].count;
    }
    if (e.count > before) d.emplace_back(e.index, e.count - before), total += e.count - before;
  }
  if (!total) return std::nan("");
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
  std::uint64_t seen = 0;
  for (const auto& [i, c] : d)
    if ((seen += c) >= rank) return static_cast<double>(metrics::detail::bucket_mid(i));
  return std::nan("");
}

// Hash lookups by string_view, so that a record's name finds its entry without a copy.
struct text_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class V>
using text_map = std::unordered_map<std::string, V, text_hash, std::equal_to<>>;

template <class V, class Make>
V& find_or_add(text_map<V>& m, std::string_view k, Make&& make) {
  if (auto it = m.find(k); it != m.end()) return it->second;
  return m.emplace(std::string{k}, make()).first->second;
}

}  // namespace detail

//! Reads `src` (time-ordered: a record_source, or anything with `bool next(record&)`) once,
//! replaying `cfg`'s insight rules per instance.
template <class Source>
analysis analyze(Source& src, const insight::config<insight::all_rules>& cfg,
                 const analysis_options& opt = {}) {
  analysis a;
  struct per_instance {
    explicit per_instance(const insight::config<insight::all_rules>& c)
        : engine(c), replay(engine) {}
    std::string name;
    insight::full_engine engine;
    insight::replay<insight::full_engine> replay;
    detail::text_map<detail::series_state> metrics;
    detail::text_map<state_track> tracks;
    detail::text_map<std::int64_t> last_seen;                 // by source
    detail::text_map<std::pair<double, std::int64_t>> beats;  // heartbeat-like names
  };
  std::map<std::string, std::unique_ptr<per_instance>> instances;
  std::vector<std::unique_ptr<series>> plots;
  per_instance* cur = nullptr;
  episode_folder folder;
  std::uint64_t kinds[256] = {}, sevs[8] = {};
  auto get_series = [&](const record& r, const char* what) {
    plots.push_back(std::make_unique<series>());
    auto* p = plots.back().get();
    p->instance = r.instance;
    p->name = r.name;
    p->what = what;
    return p;
  };
  auto add = [](series* s, std::int64_t ts, double v) {
    if (!std::isfinite(v)) return;
    s->bins.add(ts, v);
    s->sum += v;
    s->sumsq += v * v;
    ++s->n;
  };
  cumulative_sample sample;
  record r;
  while (src.next(r)) {
    if (!cur || cur->name != r.instance) {
      auto& p = instances[r.instance];
      if (!p) {
        p = std::make_unique<per_instance>(cfg);
        p->name = r.instance;
      }
      cur = p.get();
    }
    const bool table = r.flags & flag_table;
    if (!table) {
      ++a.records;
      if (a.records == 1) a.first = r.ts_ns;
      a.last = std::max(a.last, r.ts_ns);
      ++kinds[static_cast<std::uint8_t>(r.kind)];
      if (r.kind == record_kind::notification || r.kind == record_kind::insight)
        ++sevs[static_cast<std::uint8_t>(r.sev) & 7];
      // Insight records come and go with their episodes: their source is no component.
      if (r.kind != record_kind::insight)
        detail::find_or_add(cur->last_seen, r.source, [] { return std::int64_t{0}; }) = r.ts_ns;
    }
    // Insights already in the store are the online engine's conclusions, not evidence.
    if (r.kind != record_kind::insight) {
      const std::string* inst = &cur->name;
      cur->replay.observe(r, [&](const record& ins) { folder.add(*inst, ins); });
    }
    if (table) continue;
    switch (r.kind) {
      case record_kind::state: {
        auto& t = detail::find_or_add(cur->tracks, r.name, [] { return state_track{}; });
        std::string v;
        append_text(v, to_view(r.val));
        if (!t.changes.empty() && t.changes.back().second == v) break;
        if (t.key.empty()) t.instance = r.instance, t.key = r.name;
        ++t.total;
        if (t.changes.size() < opt.max_changes_per_track)
          t.changes.emplace_back(r.ts_ns, std::move(v));
        break;
      }
      case record_kind::notification:
        a.marks[static_cast<int>(r.sev)].add(r.ts_ns, 1);
        break;
      case record_kind::metric:
      case record_kind::meta: {
        const double value = to_view(r.val).as_number();
        if (r.name.starts_with("introspect.dropped")) a.drops[{r.instance, r.name}] = value;
        if (r.name.find("heartbeat") != std::string::npos) {
          auto& b = detail::find_or_add(cur->beats, r.name, [&] {
            return std::pair{value, r.ts_ns};
          });
          if (b.first != value) b = {value, r.ts_ns};
        }
        if (r.kind == record_kind::meta) break;
        auto& st = detail::find_or_add(cur->metrics, r.name, [] { return detail::series_state{}; });
        if (r.mtype == metric_type::counter || r.mtype == metric_type::histogram) {
          const bool hist = r.mtype == metric_type::histogram;
          sample.ts_ns = r.ts_ns;
          sample.value = value;
          sample.sum = 0;
          sample.has_buckets = false;
          if (hist) {
            sample.sum = detail::number_field(r, "sum");
            if (!std::isfinite(sample.sum)) sample.sum = 0;
            if (const auto* b = r.find_field("buckets");
                b && to_view(*b).type() == value_type::string)
              sample.has_buckets =
                  metrics::decode_bucket_text(to_view(*b).as_string(), sample.buckets);
            if (!st.stored) st.stored = get_series(r, "p99 (since start)");
            add(st.stored, r.ts_ns, detail::number_field(r, "p99"));
          }
          if (!st.value) st.value = get_series(r, hist ? "interval p99" : "rate /s");
          if (hist && !st.mean) st.mean = get_series(r, "interval mean");
          if (st.has_prev && sample.ts_ns > st.prev.ts_ns) {
            const auto& p = st.prev;
            // The semantics of add_pair (query/interval.hpp): a value below the previous one is
            // a reset and counts from zero; without allocating a bucket map per pair.
            const bool reset = sample.value < p.value;
            const double inc = reset ? sample.value : sample.value - p.value;
            const double secs = static_cast<double>(sample.ts_ns - p.ts_ns) / 1e9;
            if (!hist) {
              add(st.value, r.ts_ns, inc / secs);
            } else if (inc > 0) {
              add(st.mean, r.ts_ns, (reset ? sample.sum : sample.sum - p.sum) / inc);
              if (sample.has_buckets && (reset || p.has_buckets))
                add(st.value, r.ts_ns,
                    detail::interval_quantile(p.buckets, sample.buckets, reset, 0.99));
            }
          }
          std::swap(st.prev, sample);  // the old prev's buckets are reused for the next sample
          st.has_prev = true;
        } else {
          if (!st.value) st.value = get_series(r, "value");
          add(st.value, r.ts_ns, value);
        }
        break;
      }
      default:
        break;
    }
  }
  for (auto& [name, e] : instances) {
    const std::string* inst = &e->name;
    e->replay.finish([&](const record& ins) { folder.add(*inst, ins); });
    for (const auto& d : e->engine.diagnostics())
      if (d.message.find(": no record matched") == std::string::npos)
        a.diagnostics.push_back(name + ": " + d.rule + ": " + d.message);
    a.instances.push_back(name);
    for (const auto& [source, t] : e->last_seen)
      if (a.last - t > opt.silent_after_ns) a.silent.emplace_back(name, "source " + source, t);
    for (const auto& [beat, b] : e->beats)
      if (a.last - b.second > opt.silent_after_ns / 2)
        a.silent.emplace_back(name, beat + " stopped changing", b.second);
    for (auto& [k, t] : e->tracks) a.tracks.push_back(std::move(t));
  }
  a.episodes = folder.take();
  for (int k = 0; k < 256; ++k)
    if (kinds[k]) a.by_kind[std::string{to_string(static_cast<record_kind>(k))}] += kinds[k];
  for (int k = 0; k < 8; ++k)
    if (sevs[k]) a.by_severity[std::string{to_string(static_cast<severity>(k))}] += sevs[k];
  std::sort(a.silent.begin(), a.silent.end(),
            [](const auto& x, const auto& y) { return std::get<2>(x) < std::get<2>(y); });
  std::sort(a.tracks.begin(), a.tracks.end(), [](const auto& x, const auto& y) {
    return x.total != y.total ? x.total > y.total
                              : std::tie(x.instance, x.key) < std::tie(y.instance, y.key);
  });
  for (auto& p : plots) a.plots.push_back(std::move(*p));
  std::sort(a.plots.begin(), a.plots.end(), [](const series& x, const series& y) {
    return std::tie(x.instance, x.name, x.what) < std::tie(y.instance, y.name, y.what);
  });
  return a;
}

}  // namespace introspect::inline v1::report
