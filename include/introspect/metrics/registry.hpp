#pragma once
// The metric registry: name -> handle, registered once, updated through the handle.

#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "introspect/metrics/counter.hpp"
#include "introspect/metrics/gauge.hpp"
#include "introspect/metrics/histogram.hpp"
#include "introspect/metrics/metric_type.hpp"

namespace introspect::inline v1::metrics {

namespace detail {

//! The handles of one metric type: stable storage plus a name index.
template <class Metric>
struct family {
  struct entry {
    explicit entry(std::string_view n) : name(n) {}
    std::string name;
    Metric metric;
  };
  // A deque never moves its elements on emplace_back, so handed-out references stay valid and
  // the index can key on views of the stored names (lookups never build a std::string).
  std::deque<entry> entries;
  std::unordered_map<std::string_view, Metric*> index;

  Metric* find(std::string_view name) const noexcept {
    const auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
  }
  Metric& add(std::string_view name) {
    auto& e = entries.emplace_back(name);
    index.emplace(std::string_view{e.name}, &e.metric);
    return e.metric;
  }
};

}  // namespace detail

//! Owns every metric of an instance; hands out stable references by name.
//!
//! Registration takes a write lock and allocates; the handles' updates never lock or allocate.
//! Counters, gauges and histograms have separate name spaces, so a name clash is never an error.
//!
//! @code
//! metrics::registry reg;
//! auto& requests = reg.counter("controller.requests");  // once
//! requests.inc();                                        // hot path
//! reg.count("controller.errors");                        // by name: a read-locked lookup
//! @endcode
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  //! The counter called `name`, created on first use; the reference is valid for the registry's
  //! life.
  metrics::counter& counter(std::string_view name) { return get(counters_, name); }
  //! The gauge called `name`, created on first use.
  metrics::gauge& gauge(std::string_view name) { return get(gauges_, name); }
  //! The histogram called `name`, created on first use.
  metrics::histogram& histogram(std::string_view name) { return get(histograms_, name); }

  //! Adds `n` to the counter `name` (a read-locked lookup; allocates only the first time).
  void count(std::string_view name, std::uint64_t n = 1) { counter(name).inc(n); }
  //! Sets the gauge `name`.
  template <class T>
  requires std::is_arithmetic_v<T>
  void set(std::string_view name, T v) { gauge(name).set(v); }
  //! Adds to the gauge `name`.
  template <class T>
  requires std::is_arithmetic_v<T>
  void add(std::string_view name, T delta) { gauge(name).add(delta); }
  //! Records an observation in the histogram `name`.
  void observe(std::string_view name, std::int64_t v) { histogram(name).observe(v); }

  //! Number of registered metrics of every type.
  [[nodiscard]] std::size_t size() const {
    std::shared_lock lock(mutex_);
    return counters_.entries.size() + gauges_.entries.size() + histograms_.entries.size();
  }

  //! Calls `visit(name, sample)` for every metric, in registration order per type: counters
  //! (counter_sample), then gauges (gauge_sample), then histograms (const histogram_snapshot&).
  //! `sample.type` names the type. Holds the read lock: `visit` must not register metrics.
  //! Updates through handles proceed meanwhile; only registration waits.
  template <class Visitor>
  void snapshot(Visitor&& visit) const {
    std::shared_lock lock(mutex_);
    for (const auto& e : counters_.entries) visit(std::string_view{e.name}, e.metric.sample());
    for (const auto& e : gauges_.entries) visit(std::string_view{e.name}, e.metric.sample());
    if (histograms_.entries.empty()) return;
    histogram_snapshot snap;  // one ~8 KiB buffer reused for every histogram
    for (const auto& e : histograms_.entries) {
      e.metric.snapshot_into(snap);
      visit(std::string_view{e.name}, std::as_const(snap));
    }
  }

 private:
  template <class Metric>
  Metric& get(detail::family<Metric>& fam, std::string_view name) {
    {
      std::shared_lock lock(mutex_);
      if (auto* m = fam.find(name)) return *m;
    }
    std::unique_lock lock(mutex_);
    if (auto* m = fam.find(name)) return *m;  // another thread registered it meanwhile
    return fam.add(name);
  }

  mutable std::shared_mutex mutex_;
  detail::family<metrics::counter> counters_;
  detail::family<metrics::gauge> gauges_;
  detail::family<metrics::histogram> histograms_;
};

}  // namespace introspect::inline v1::metrics
