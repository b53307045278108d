#pragma once
// What a forwarder tells about what JetStream acknowledged, on its worker thread: the cursors in
// the store's metadata (saved at most every checkpoint_interval, and once more at the end) and
// the scope's progress report that the federated reader reads (docs/jetstream.md). A failure is
// counted and said, never fatal: the next round tries again.
#include <chrono>
#include <exception>
#include <utility>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/detail/stream_table.hpp>
#include <introspect/jetstream/error_reporter.hpp>
#include <introspect/jetstream/progress_reporter.hpp>

namespace introspect::inline v1::jetstream::detail {

//! What the reports work with: the forwarder's parts.
struct report_parts {
  const connection& conn;
  stream_table& table;
  error_reporter& errors;
  cursor_checkpoint& cursors;
  progress_reporter& progress;
  std::chrono::milliseconds request_timeout;
};

//! Checkpoints and progress reports (see the file comment).
class ack_reports {
 public:
  explicit ack_reports(report_parts p) : p_(std::move(p)) {}

  //! Saves the acknowledged offsets when the interval passed (or at once with `force`).
  void checkpoint(bool force) {
    try {
      if (p_.cursors.save(force, [&](cursor_map& m) { p_.table.cursors(m); }))
        p_.table.count(&forwarder_stats::cursor_writes);
    } catch (const std::exception& e) {
      p_.errors.fail(error_cause::cursor, e.what());
    }
  }
  //! Publishes the running forwarder's progress when it changed or the heartbeat is due.
  void report_progress() {
    auto p = progress_reporter::snapshot(p_.table.progress(), false);
    if (p_.progress.due(p, std::chrono::steady_clock::now()))
      publish(std::move(p), p_.request_timeout);
  }
  //! The last report: the forwarder stopped; waits at most `timeout` for its acknowledgment.
  void report_stopped(std::chrono::milliseconds timeout) {
    publish(progress_reporter::snapshot(p_.table.progress(), true), timeout);
  }

 private:
  void publish(scope_progress p, std::chrono::milliseconds timeout) {
    if (auto e = p_.progress.publish(p_.conn, std::move(p), timeout)) p_.errors.fail(*e);
  }

  report_parts p_;
};

}  // namespace introspect::inline v1::jetstream::detail
