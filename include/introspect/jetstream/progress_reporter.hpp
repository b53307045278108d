#pragma once
//! jetstream::progress_reporter: when a forwarder publishes its progress report
//! (jetstream/progress.hpp): when it changed, at most every checkpoint_interval; at least every
//! progress_interval (a heartbeat); and once more when it stops. A failure never holds up
//! forwarding: it is returned (the forwarder counts it) and the report is tried again later.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/progress.hpp>

namespace introspect::inline v1::jetstream {

//! The publishing side of one scope's progress reports (see the file comment).
class progress_reporter {
 public:
  using clock = std::chrono::steady_clock;

  progress_reporter(std::string scope, int replicas, std::chrono::milliseconds min_interval,
                    std::chrono::milliseconds heartbeat)
      : scope_(std::move(scope)), replicas_(replicas), min_(min_interval), beat_(heartbeat) {}

  //! False while the last attempt is more recent than the minimum interval.
  bool may_report(clock::time_point now) const noexcept { return now - last_try_ >= min_; }
  //! True when `p` differs from the last published report or the heartbeat is due.
  bool worth_reporting(const scope_progress& p, clock::time_point now) const {
    return p.streams != last_.streams || now - last_try_ >= beat_;
  }

  //! This scope's progress at this moment (wall-clock time): `streams`, running or `stopped`.
  static scope_progress snapshot(std::vector<stream_progress> streams, bool stopped) {
    scope_progress p;
    p.reported_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    p.stopped = stopped;
    p.streams = std::move(streams);
    return p;
  }
  //! may_report() and worth_reporting(): a report of `p` is due now.
  bool due(const scope_progress& p, clock::time_point now) const {
    return may_report(now) && worth_reporting(p, now);
  }

  //! Publishes `p` on `c` (creating the report stream once per connection), waiting at most
  //! `timeout` for its acknowledgment.
  std::optional<op_error> publish(const connection& c, scope_progress p,
                                  std::chrono::milliseconds timeout) {
    last_try_ = clock::now();
    detail::nats_error err;
    if (ready_generation_ != c.generation()) {
      if (!detail::ensure_progress_stream(c.js(), scope_, replicas_, err))
        return op_error{std::move(err), "create stream " + progress_stream_of(scope_)};
      ready_generation_ = c.generation();
    }
    if (!detail::publish_progress(c.js(), scope_, p, timeout, err))
      return op_error{std::move(err), "publish progress to " + progress_subject(scope_)};
    last_ = std::move(p);
    return std::nullopt;
  }

 private:
  std::string scope_;
  int replicas_;
  std::chrono::milliseconds min_, beat_;
  clock::time_point last_try_{};
  std::uint64_t ready_generation_ = 0;  // the report stream exists on this connection
  scope_progress last_;
};

}  // namespace introspect::inline v1::jetstream
