#pragma once
//! How a store stream's retention maps onto the limits of its JetStream stream.
#include <chrono>
#include <cstdint>
#include <optional>

#include <introspect/store/options.hpp>

namespace introspect::inline v1::jetstream {

//! JetStream limits of one stream; an empty optional means "unlimited" (-1 on the wire).
struct limits {
  std::optional<std::chrono::nanoseconds> max_age;  //!< MaxAge
  std::optional<std::uint64_t> max_bytes;           //!< MaxBytes
  std::optional<std::uint64_t> max_msgs;            //!< MaxMsgs
  bool operator==(const limits&) const = default;
};

//! keep_for → MaxAge, keep_bytes → MaxBytes, keep_count → MaxMsgs. JetStream counts a message
//! as subject + headers + payload, so with the same byte limit it keeps somewhat fewer records
//! than the store (whose frames are 20 bytes + payload).
inline limits limits_from(const store::stream_options& o) {
  return {o.keep_for, o.keep_bytes, o.keep_count};
}

}  // namespace introspect::inline v1::jetstream
