#pragma once
//! jetstream::federation_status: how far each instance's JetStream streams are behind that
//! instance's store, from the forwarders' own progress reports (jetstream/progress.hpp), so a
//! federated query can say when its answer lacks records still being published.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/format/rfc3339.hpp>
#include <introspect/format/terminal_text.hpp>
#include <introspect/jetstream/fetch.hpp>
#include <introspect/jetstream/progress.hpp>

namespace introspect::inline v1::jetstream {

//! One stream of one instance whose store reaches further than JetStream holds.
struct stream_lag {
  std::string stream;
  //! JetStream holds (or held: limits may have removed old messages since) the instance's
  //! store up to here: the end of its last message, or the acknowledged offset reported.
  std::uint64_t published_end = 0;
  std::uint64_t store_end = 0;  //!< the instance's store reached at least this far
  std::uint64_t lag_bytes() const noexcept {
    return store_end > published_end ? store_end - published_end : 0;
  }
};

//! One instance (scope) as the federated view sees it.
struct instance_status {
  std::string scope;
  std::optional<scope_progress> progress;  //!< its last report; nullopt: it never reported
  std::vector<stream_lag> behind;          //!< streams JetStream holds less of than reported
};

//! For every scope of `streams` (as fetcher::streams() lists them): its last progress report
//! and each stream whose reported store end lies beyond what JetStream holds.
inline std::vector<instance_status> federation_status(const fetcher& f,
                                                      const std::vector<remote_stream>& streams) {
  std::map<std::string, std::vector<const remote_stream*>> by_scope;
  for (const auto& rs : streams) by_scope[rs.scope].push_back(&rs);
  std::vector<instance_status> out;
  for (const auto& [scope, list] : by_scope) {
    instance_status is;
    is.scope = scope;
    is.progress = f.progress(scope);
    if (is.progress) {
      for (const auto& sp : is.progress->streams) {
        const remote_stream* rs = nullptr;
        for (auto* r : list)
          if (r->stream == sp.stream) rs = r;
        // What JetStream acknowledged counts as published even when its limits removed it
        // since (MaxAge can empty a quiet stream): removed by retention is not behind.
        const auto held = rs ? f.published_end(*rs) : 0;
        stream_lag l{sp.stream, std::max(held, sp.acked_offset), sp.store_end};
        if (l.lag_bytes() > 0) is.behind.push_back(std::move(l));
      }
    }
    out.push_back(std::move(is));
  }
  return out;
}

//! Bytes of `stream` of instance `scope` its store holds beyond what JetStream holds, as its
//! forwarder last reported (0 when caught up); nullopt when the instance never reported or its
//! report does not name the stream.
inline std::optional<std::uint64_t> stream_lag_bytes(const std::vector<instance_status>& st,
                                                     std::string_view scope,
                                                     std::string_view stream) {
  for (const auto& is : st) {
    if (is.scope != scope || !is.progress) continue;
    for (const auto& l : is.behind)
      if (l.stream == stream) return l.lag_bytes();
    for (const auto& sp : is.progress->streams)
      if (sp.stream == stream) return 0;
  }
  return std::nullopt;
}

//! One line per instance whose records a federated answer may lack (empty when complete):
//! behind its store by the bytes its forwarder reported, never reported, or silent for longer
//! than `stale_after` while it said it was running. `where` names the server (e.g. its URL).
inline std::vector<std::string> federation_warnings(const std::vector<instance_status>& st,
                                                    const std::string& where, std::int64_t now_ns,
                                                    std::chrono::milliseconds stale_after) {
  std::vector<std::string> out;
  const auto head = "introspect: " + terminal_safe(where) + ": instance ";
  for (const auto& is : st) {
    const auto scope = terminal_safe(is.scope);
    if (!is.progress) {
      out.push_back(head + scope +
                    " has no progress report: whether JetStream holds everything it stored "
                    "cannot be told");
      continue;
    }
    const auto& p = *is.progress;
    const auto when = format_rfc3339(p.reported_ns);
    const char* state = p.stopped ? "stopped" : "running";
    for (const auto& l : is.behind)
      out.push_back(head + scope + " stream " + terminal_safe(l.stream) +
                    " is behind: JetStream holds its store up to offset " +
                    std::to_string(l.published_end) + " of " + std::to_string(l.store_end) + " (" +
                    std::to_string(l.lag_bytes()) + " bytes not yet published, reported " + when +
                    ", forwarder " + state +
                    "); the answer lacks what was still unpublished when read");
    const auto age_ms = (now_ns - p.reported_ns) / 1'000'000;
    if (!p.stopped && age_ms > stale_after.count())
      out.push_back(head + scope + " last reported its progress " + std::to_string(age_ms / 1000) +
                    " s ago (" + when +
                    ") while running: it or its link to NATS may be down, and records it stored "
                    "since are not in JetStream");
  }
  return out;
}

}  // namespace introspect::inline v1::jetstream
