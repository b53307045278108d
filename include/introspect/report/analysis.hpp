#pragma once
//! One pass over a store, in any order across streams (each stream in its own order, as the
//! unordered scan of aggregates reads them: query/read/unordered_scan.hpp), that gathers what
//! `introspect summary` and `introspect report` show: counts, insight episodes (the rules
//! replayed in time order over just the records they read: report/rule_feed.hpp, the same
//! episodes `introspect insights` finds), state tracks, notification marks, drop counters,
//! silent components, and every metric series binned for plotting with interval semantics
//! (query/agg/interval.hpp): counters as rates, histograms as interval p99 and interval mean.
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
#include <introspect/query/agg/interval.hpp>
#include <introspect/report/bins.hpp>
#include <introspect/report/episodes.hpp>
#include <introspect/report/rule_feed.hpp>

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

//! One notification: its time, where it came from and what it says.
struct notification_mark {
  std::int64_t ts_ns = 0;
  std::string instance, source, name, message;  //!< message: the `message` field, or the value
  severity sev = severity::info;
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
  //! The notifications themselves (the first max_notifications, by time), for what the
  //! timeline shows beside a track (a Kubernetes Event beside the pod's state).
  std::vector<notification_mark> notifications;
  std::vector<std::string> diagnostics;  //!< the rules' own remarks
};

//! What analyze() is asked for.
struct analysis_options {
  std::size_t max_changes_per_track = 20000;
  std::int64_t silent_after_ns = 60'000'000'000;  //!< no record for this long before the end
  std::size_t max_notifications = 20000;
};

namespace detail {

struct series_state {
  bool has_prev = false;
  query::agg::cumulative_sample prev;
  series* value = nullptr;   // gauge value, counter rate, histogram interval p99
  series* mean = nullptr;    // histogram interval mean
  series* stored = nullptr;  // histogram p99 as stored (since the process started)
};

template <class R>
double number_field(const R& r, std::string_view key) {
  const auto* v = r.find_field(key);
  if (!v) return std::nan("");
  const auto vv = as_view(*v);
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

//! Gathers an analysis from records given in any order across streams (each stream in its own
//! order, so that one metric's samples come in order: its rates and interval percentiles are
//! taken between successive samples). Everything that depends on time order across streams
//! is put in order at the end: state changes, notification marks, and the insight rules,
//! which a rule_feed replays over just the records they read.
class collector {
 public:
  explicit collector(const insight::config<insight::all_rules>& cfg,
                     const analysis_options& opt = {})
      : interest_(cfg), opt_(opt) {}

  //! One record (a record, or a scanned_record viewing a frame) that passed the filter.
  template <class R>
  void add(const R& r) {
    auto& in = instance(r.instance);
    const bool table = r.flags & flag_table;
    if (!table) {
      if (!a_.records++) a_.first = a_.last = r.ts_ns;
      a_.first = std::min(a_.first, r.ts_ns);
      a_.last = std::max(a_.last, r.ts_ns);
      ++kinds_[static_cast<std::uint8_t>(r.kind)];
      if (r.kind == record_kind::notification || r.kind == record_kind::insight)
        ++sevs_[static_cast<std::uint8_t>(r.sev) & 7];
    }
    // Insights already in the store are the online engine's conclusions, not evidence; and
    // their source is no component.
    if (r.kind == record_kind::insight) return;
    in.feed.note(r.ts_ns);
    auto& e = detail::find_or_add(in.names, r.name, [] { return name_entry{}; });
    auto& k = keyed_of(in, e, r.kind, r.source, r.name);
    if (k.what == rule_interest::verdict::keep || (k.what && table))
      in.feed.keep(r, in.name);
    else if (k.what == rule_interest::verdict::thin)
      in.feed.thin(k.slot, r, in.name);
    if (table) return;
    *k.last_seen = std::max(*k.last_seen, r.ts_ns);
    switch (r.kind) {
      case record_kind::state: {
        std::string v;
        query::expr::append_text(v, detail::as_view(r.val));
        e.states.emplace_back(r.ts_ns, std::move(v));
        break;
      }
      case record_kind::notification:
        notification(r, in.name);
        break;
      case record_kind::metric:
      case record_kind::meta:
        metric(r, e);
        break;
      default:
        break;
    }
  }

  //! The analysis (the collector is consumed).
  analysis finish() {
    episode_folder folder;
    for (auto& [name, in] : instances_) {
      const std::string* inst = &in->name;
      const auto diags =
          in->feed.replay(interest_, [&](const record& ins) { folder.add(*inst, ins); });
      for (const auto& d : diags)
        if (d.message.find(": no record matched") == std::string::npos)
          a_.diagnostics.push_back(name + ": " + d.rule + ": " + d.message);
      a_.instances.push_back(name);
      for (const auto& [source, t] : in->last_seen)
        if (a_.last - t > opt_.silent_after_ns) a_.silent.emplace_back(name, "source " + source, t);
      for (auto& [key, e] : in->names) {
        if (e.beat_seen && a_.last - e.beat.second > opt_.silent_after_ns / 2)
          a_.silent.emplace_back(name, key + " stopped changing", e.beat.second);
        if (e.drop_ts != std::numeric_limits<std::int64_t>::min()) a_.drops[{name, key}] = e.drop;
        if (e.states.empty()) continue;
        // One key's changes come from one stream, almost always in order already.
        if (!std::is_sorted(e.states.begin(), e.states.end(),
                            [](const auto& x, const auto& y) { return x.first < y.first; }))
          std::stable_sort(e.states.begin(), e.states.end(),
                           [](const auto& x, const auto& y) { return x.first < y.first; });
        state_track t{name, key, {}, 0};
        for (auto& [ts, v] : e.states) {
          if (!t.changes.empty() && t.changes.back().second == v) continue;
          ++t.total;
          if (t.changes.size() < opt_.max_changes_per_track)
            t.changes.emplace_back(ts, std::move(v));
        }
        a_.tracks.push_back(std::move(t));
      }
    }
    a_.episodes = folder.take();
    for (int k = 0; k < 256; ++k)
      if (kinds_[k]) a_.by_kind[std::string{to_string(static_cast<record_kind>(k))}] += kinds_[k];
    for (int k = 0; k < 8; ++k)
      if (sevs_[k]) a_.by_severity[std::string{to_string(static_cast<severity>(k))}] += sevs_[k];
    std::sort(a_.silent.begin(), a_.silent.end(),
              [](const auto& x, const auto& y) { return std::get<2>(x) < std::get<2>(y); });
    std::sort(a_.tracks.begin(), a_.tracks.end(), [](const auto& x, const auto& y) {
      return x.total != y.total ? x.total > y.total
                                : std::tie(x.instance, x.key) < std::tie(y.instance, y.key);
    });
    for (auto& [sev, ts] : marks_) {
      std::sort(ts.begin(), ts.end());
      auto& bins = a_.marks[sev];
      for (const auto t : ts) bins.add(t, 1);
    }
    trim_notifications();
    for (auto& p : plots_) a_.plots.push_back(std::move(*p));
    std::sort(a_.plots.begin(), a_.plots.end(), [](const series& x, const series& y) {
      return std::tie(x.instance, x.name, x.what) < std::tie(y.instance, y.name, y.what);
    });
    return std::move(a_);
  }

 private:
  // A (kind, source) under one name: what the rules want of it, and its source's last record.
  struct keyed {
    record_kind kind;
    std::string source;
    std::int64_t* last_seen;
    rule_interest::verdict::what_t what;
    std::uint32_t slot;
  };
  // Everything kept per name of one instance: one hash lookup per record finds it.
  struct name_entry {
    std::vector<keyed> keys;
    detail::series_state st;
    std::vector<std::pair<std::int64_t, std::string>> states;
    bool is_drop = false, is_beat = false, beat_seen = false, checked = false;
    double drop = 0;
    std::int64_t drop_ts = std::numeric_limits<std::int64_t>::min();
    std::pair<double, std::int64_t> beat{0, 0};
  };
  struct per_instance {
    per_instance(std::string n, std::int64_t period) : name(std::move(n)), feed(period) {}
    std::string name;
    rule_feed feed;
    detail::text_map<name_entry> names;
    detail::text_map<std::int64_t> last_seen;  // by source
  };

  per_instance& instance(std::string_view name) {
    if (cur_ && cur_->name == name) return *cur_;
    auto it = instances_.find(name);
    if (it == instances_.end())
      it = instances_
               .emplace(std::string{name},
                        std::make_unique<per_instance>(std::string{name}, interest_.period_ns()))
               .first;
    cur_ = it->second.get();
    return *cur_;
  }

  keyed& keyed_of(per_instance& in, name_entry& e, record_kind kind, std::string_view source,
                  std::string_view name) {
    for (auto& k : e.keys)
      if (k.kind == kind && k.source == source) return k;
    auto* seen = &detail::find_or_add(in.last_seen, source,
                                      [] { return std::numeric_limits<std::int64_t>::min(); });
    const auto v = interest_.classify(kind, source, name);
    const auto slot = v.what == rule_interest::verdict::thin ? in.feed.slot_of(v.subject) : 0u;
    return e.keys.emplace_back(keyed{kind, std::string{source}, seen, v.what, slot});
  }

  template <class R>
  void notification(const R& r, const std::string& instance) {
    marks_[static_cast<int>(r.sev)].push_back(r.ts_ns);
    notification_mark m{r.ts_ns, instance, std::string{r.source}, std::string{r.name}, {}, r.sev};
    if (const auto* f = r.find_field("message"))
      query::expr::append_text(m.message, detail::as_view(*f));
    else
      query::expr::append_text(m.message, detail::as_view(r.val));
    a_.notifications.push_back(std::move(m));
    if (a_.notifications.size() >= 2 * opt_.max_notifications + 1024) trim_notifications();
  }

  // The first max_notifications by time.
  void trim_notifications() {
    auto& v = a_.notifications;
    auto by_time = [](const notification_mark& x, const notification_mark& y) {
      return x.ts_ns < y.ts_ns;
    };
    if (v.size() > opt_.max_notifications) {
      std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(opt_.max_notifications),
                       v.end(), by_time);
      v.resize(opt_.max_notifications);
    }
    std::stable_sort(v.begin(), v.end(), by_time);
  }

  template <class R>
  void metric(const R& r, name_entry& e) {
    const double value = detail::as_view(r.val).as_number();
    if (!e.checked) {
      e.checked = true;
      e.is_drop = r.name.starts_with("introspect.dropped");
      e.is_beat = r.name.find("heartbeat") != std::string_view::npos;
    }
    if (e.is_drop && r.ts_ns >= e.drop_ts) e.drop = value, e.drop_ts = r.ts_ns;
    if (e.is_beat && (!e.beat_seen || e.beat.first != value)) {
      e.beat = {value, r.ts_ns};
      e.beat_seen = true;
    }
    if (r.kind == record_kind::meta) return;
    auto& st = e.st;
    if (r.mtype != metric_type::counter && r.mtype != metric_type::histogram) {
      if (!st.value) st.value = new_series(r.instance, r.name, "value");
      add_sample(st.value, r.ts_ns, value);
      return;
    }
    const bool hist = r.mtype == metric_type::histogram;
    auto& sample = sample_;
    sample.ts_ns = r.ts_ns;
    sample.value = value;
    sample.sum = 0;
    sample.has_buckets = false;
    if (hist) {
      sample.sum = detail::number_field(r, "sum");
      if (!std::isfinite(sample.sum)) sample.sum = 0;
      if (const auto* b = r.find_field("buckets");
          b && detail::as_view(*b).type() == value_type::string)
        sample.has_buckets =
            metrics::decode_bucket_text(detail::as_view(*b).as_string(), sample.buckets);
      if (!st.stored) st.stored = new_series(r.instance, r.name, "p99 (since start)");
      add_sample(st.stored, r.ts_ns, detail::number_field(r, "p99"));
    }
    if (!st.value) st.value = new_series(r.instance, r.name, hist ? "interval p99" : "rate /s");
    if (hist && !st.mean) st.mean = new_series(r.instance, r.name, "interval mean");
    if (st.has_prev && sample.ts_ns > st.prev.ts_ns) {
      const auto& p = st.prev;
      // The semantics of add_pair (query/agg/interval.hpp): a value below the previous one is a
      // reset and counts from zero; without allocating a bucket map per pair.
      const bool reset = sample.value < p.value;
      const double inc = reset ? sample.value : sample.value - p.value;
      const double secs = static_cast<double>(sample.ts_ns - p.ts_ns) / 1e9;
      if (!hist) {
        add_sample(st.value, r.ts_ns, inc / secs);
      } else if (inc > 0) {
        add_sample(st.mean, r.ts_ns, (reset ? sample.sum : sample.sum - p.sum) / inc);
        if (sample.has_buckets && (reset || p.has_buckets))
          add_sample(st.value, r.ts_ns,
                     detail::interval_quantile(p.buckets, sample.buckets, reset, 0.99));
      }
    }
    std::swap(st.prev, sample);  // the old prev's buckets are reused for the next sample
    st.has_prev = true;
  }

  static void add_sample(series* s, std::int64_t ts, double v) {
    if (!std::isfinite(v)) return;
    s->bins.add(ts, v);
    s->sum += v;
    s->sumsq += v * v;
    ++s->n;
  }

  series* new_series(std::string_view instance, std::string_view name, const char* what) {
    plots_.push_back(std::make_unique<series>());
    auto* p = plots_.back().get();
    p->instance = instance;
    p->name = name;
    p->what = what;
    return p;
  }

  rule_interest interest_;
  analysis_options opt_;
  analysis a_;
  std::map<std::string, std::unique_ptr<per_instance>, std::less<>> instances_;
  per_instance* cur_ = nullptr;
  std::vector<std::unique_ptr<series>> plots_;
  std::map<int, std::vector<std::int64_t>> marks_;
  std::uint64_t kinds_[256] = {}, sevs_[8] = {};
  query::agg::cumulative_sample sample_;
};

//! Reads `src` (anything with `bool next(record&)`, e.g. a record_cursor) once, replaying
//! `cfg`'s insight rules per instance.
template <class Source>
analysis analyze(Source& src, const insight::config<insight::all_rules>& cfg,
                 const analysis_options& opt = {}) {
  collector c{cfg, opt};
  record r;
  while (src.next(r)) c.add(r);
  return c.finish();
}

}  // namespace introspect::inline v1::report
