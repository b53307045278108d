#pragma once
//! jetstream::forwarder_options: the settings of a forwarder (jetstream/forwarder.hpp).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <introspect/jetstream/limits.hpp>
#include <introspect/jetstream/stats.hpp>

namespace introspect::inline v1::jetstream {

//! Settings of a forwarder; every duration is a bound, so nothing waits forever.
struct forwarder_options {
  std::string url = "nats://127.0.0.1:4222";  //!< one URL or a comma-separated cluster list
  std::string user{};                         //!< optional user/password authentication
  std::string password{};
  std::string client_name = "introspect-forwarder";
  int replicas = 1;  //!< JetStream stream replicas
  std::chrono::nanoseconds duplicate_window = std::chrono::minutes(2);  //!< server-side dedup
  std::function<limits(std::string_view stream)> limits_for{};  //!< retention per store stream
  bool discard_new = false;  //!< at a limit, reject new messages (counted) instead of old ones
  std::size_t max_pending = 4096;                   //!< bound on published, unacknowledged messages
  std::size_t batch = 512;                          //!< records read from one stream per round
  std::chrono::milliseconds ack_timeout{5000};      //!< an unacknowledged message is resent after
  std::chrono::milliseconds request_timeout{2000};  //!< JetStream API requests
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds backoff_min{100}, backoff_max{5000};  //!< retry after failures
  std::chrono::milliseconds poll_interval{20};         //!< how often the store is re-read
  std::chrono::milliseconds checkpoint_interval{200};  //!< cursor file writes at most this often
  std::chrono::milliseconds scan_interval{500};        //!< new streams and truncation points
  //! stop() publishes what the store holds and waits for its acks this long at most.
  std::chrono::milliseconds stop_timeout{1000};
  //! A progress report (jetstream/progress.hpp) is published at most every
  //! checkpoint_interval when it changed, and at least this often (a heartbeat).
  std::chrono::milliseconds progress_interval{5000};
  std::string cursor_name = "jetstream";  //!< metadata blob holding the cursors
  //! Say each new error message through the process's error handler (core/error_handler.hpp,
  //! stderr by default) when no on_error is set.
  bool report_errors = true;
  //! Receives each error message (on the worker or a client-library thread) instead.
  std::function<void(error_cause, std::string_view)> on_error{};
};

}  // namespace introspect::inline v1::jetstream
