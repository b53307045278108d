#pragma once
//! Runs the sources a build selected, at the cadence, on the writer thread: each gauge becomes a
//! metric record, and a source of gauges that starts or stops failing becomes a notification
//! (it retries with its own backoff and never stops the others). Sources of whole records
//! (kubernetes, etcd) record their own failures, one notification per cause, so the collector
//! adds none of its own for them. records() counts what the sources gave.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include <introspect/core/config.hpp>
#include <introspect/core/record.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/host_source.hpp>
#include <introspect/source/process_source.hpp>

namespace introspect::inline v1 {

//! Maps a source policy tag to its implementation; specialised per source.
template <class Tag>
struct source_traits;

template <>
struct source_traits<source::process> {
  using type = source::process_source;
  template <class Config>
  static std::unique_ptr<type> make(const Config& c) {
    return std::make_unique<type>(c.proc_root);
  }
};

template <>
struct source_traits<source::host> {
  using type = source::host_source;
  template <class Config>
  static std::unique_ptr<type> make(const Config& c) {
    source::host_options o;
    o.fs_path = c.store.string();  // the filesystem the store lives on
    o.proc_root = c.proc_root;
    return std::make_unique<type>(o);
  }
};

//! True for a source implementation that emits whole records rather than (name, value) gauges.
template <class Impl>
inline constexpr bool emits_records_v = false;

//! Starts a source's own thread if it has one (the kubernetes source does).
template <class Impl>
void start_source(Impl& impl) {
  if constexpr (requires { impl.start(); }) impl.start();
}

template <class Sources, class Kinds = void>
class collector;

//! The collector of sources<S...> for a build that records `Kinds` (a kinds<...> policy; a
//! source may adapt to it, e.g. kubernetes records snapshots where kind::snapshot is kept);
//! with no source it is an empty type.
template <class... S, class Kinds>
class collector<sources<S...>, Kinds> {
 public:
  static constexpr bool empty = sizeof...(S) == 0;

  // Sources own threads and sockets: they are neither copied nor moved, so each lives on the
  // heap, allocated once here.
  //! `c` is the build's config (basic_config<...>): each source takes its own options from it.
  template <class Config>
  explicit collector(const Config& c) : impls_(make_source<S>(c)...) {
    std::apply([](auto&... impl) { (start_source(*impl), ...); }, impls_);
  }

  //! Collects every source once; calls emit(record_view) for each gauge and each change of a
  //! part's health.
  template <class Emit>
  void collect(std::int64_t t, Emit&& emit) {
    auto counted = [&](const record_view& r) {
      records_.fetch_add(1, std::memory_order_relaxed);
      emit(r);
    };
    std::apply([&](auto&... impl) { (collect_one(impl, t, counted), ...); }, impls_);
  }

  //! Records the sources (and the collector's notes on their health) gave so far. Any thread.
  std::uint64_t records() const noexcept { return records_.load(std::memory_order_relaxed); }

 private:
  template <class Tag, class Config>
  static auto make_source(const Config& c) {
    if constexpr (requires { source_traits<Tag>::make(c, std::type_identity<Kinds>{}); })
      return source_traits<Tag>::make(c, std::type_identity<Kinds>{});
    else
      return source_traits<Tag>::make(c);
  }

  template <class Impl, class Emit>
  void collect_one(std::unique_ptr<Impl>& impl, std::int64_t t, Emit& emit) {
    auto& failing = failing_[std::string{Impl::name}];
    auto on_error = [&](std::string_view part, std::string_view cause) {
      // A source of records already recorded this cause as its own notification.
      if constexpr (!emits_records_v<Impl>)
        if (failing.insert(std::string{part}).second)
          health(emit, t, Impl::name, severity::warning, "introspect source failing", part, cause);
    };
    auto gauge = [&](std::string_view name, double v, metric_type mt = metric_type::gauge) {
      record_view r;
      r.ts_ns = t;
      r.kind = record_kind::metric;
      r.mtype = mt;  // a gauge, or a source's cumulative counter (process CPU seconds)
      r.source = Impl::name;
      r.name = name;
      r.val = v;
      emit(r);
    };
    const auto now = std::chrono::steady_clock::now();
    // Sources of gauges emit (name, value); others (kubernetes, etcd) emit whole records.
    const auto report = [&] {
      if constexpr (emits_records_v<Impl>)
        return impl->collect([&](const record_view& r) { emit(r); }, on_error, now);
      else
        return impl->collect(gauge, on_error, now);
    }();
    // Recovered only when nothing of this source is failing or waiting out a backoff.
    if (report.status == source::collect_status::ok && !failing.empty() &&
        report.next_attempt == std::chrono::steady_clock::time_point::max()) {
      for (const auto& part : failing)
        health(emit, t, Impl::name, severity::info, "introspect source recovered", part, "");
      failing.clear();
    }
  }

  template <class Emit>
  static void health(Emit& emit, std::int64_t t, std::string_view src, severity s,
                     std::string_view msg, std::string_view part, std::string_view cause) {
    const field_view f[] = {{"source", src}, {"part", part}, {"cause", cause}};
    record_view r;
    r.ts_ns = t;
    r.kind = record_kind::notification;
    r.sev = s;
    r.source = "introspect";
    r.name = msg;
    r.fields = f;
    emit(r);
  }

  std::tuple<std::unique_ptr<typename source_traits<S>::type>...> impls_;
  std::map<std::string, std::set<std::string>> failing_;  // source → parts failing
  std::atomic<std::uint64_t> records_{0};                 // written by the writer thread
};

}  // namespace introspect::inline v1
