#pragma once
//! What a forwarder did: counters, errors by cause, and lag per stream.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace introspect::inline v1::jetstream {

//! Why an operation against the server failed; each cause has its own counter.
enum class error_cause : std::uint8_t {
  bad_url,       //!< the URL cannot be parsed
  connect,       //!< no server reachable at the URL (refused, unreachable, timed out)
  auth,          //!< authentication or authorization failed
  no_jetstream,  //!< the server answers but JetStream is not enabled or not ready
  timeout,       //!< a request or a publish acknowledgment timed out
  limit,         //!< a stream or account limit rejected a message or a stream
  stream,        //!< creating, updating or purging a stream failed otherwise
  publish,       //!< the server rejected a message for another reason
  cursor,        //!< the persisted cursor could not be read or written
  store,         //!< the local store could not be read
};
inline constexpr std::size_t error_cause_count = 10;

constexpr std::string_view to_string(error_cause c) noexcept {
  constexpr std::string_view names[] = {"bad_url", "connect", "auth",    "no_jetstream", "timeout",
                                        "limit",   "stream",  "publish", "cursor",       "store"};
  const auto i = static_cast<std::size_t>(c);
  return i < error_cause_count ? names[i] : std::string_view{"unknown"};
}

//! Progress of one store stream.
struct stream_stats {
  std::string stream;                 //!< store stream name
  std::string subject;                //!< `introspect.<scope>.<stream>`
  std::string js_stream;              //!< JetStream stream name
  std::uint64_t published = 0;        //!< messages handed to the client library (resends included)
  std::uint64_t acked = 0;            //!< positive acknowledgments (duplicates included)
  std::uint64_t resent = 0;           //!< messages published again after a failure
  std::uint64_t already_present = 0;  //!< unacknowledged records found in JetStream, not resent
  std::uint64_t in_flight = 0;        //!< published, not yet acknowledged
  std::uint64_t acked_offset = 0;     //!< one past the last contiguously acknowledged record
  std::uint64_t store_end = 0;        //!< offset after the last record the cursor has seen
  std::uint64_t lag_bytes = 0;      //!< store_end - acked_offset (frame bytes not yet in JetStream)
  std::uint64_t purged_offset = 0;  //!< store offset before which JetStream was purged
};

//! A snapshot of a forwarder's counters.
struct forwarder_stats {
  bool connected = false;
  std::uint64_t connects = 0, disconnects = 0;
  std::uint64_t published = 0, acked = 0, resent = 0, duplicates = 0, already_present = 0;
  std::uint64_t resyncs = 0, purges = 0, cursor_writes = 0;
  std::array<std::uint64_t, error_cause_count> errors{};
  std::string last_error;  //!< the most recent error message, empty if none
  std::vector<stream_stats> streams;

  std::uint64_t errors_of(error_cause c) const noexcept {
    return errors[static_cast<std::size_t>(c)];
  }
  std::uint64_t total_errors() const noexcept {
    std::uint64_t n = 0;
    for (auto e : errors) n += e;
    return n;
  }
  //! Sum of lag_bytes over the streams.
  std::uint64_t lag_bytes() const noexcept {
    std::uint64_t n = 0;
    for (auto& s : streams) n += s.lag_bytes;
    return n;
  }
};

}  // namespace introspect::inline v1::jetstream
