#pragma once
//! Drop policies of the event queue: what a full queue does. Either way the drop is counted
//! by cause and the count is recorded as a metric.
#include <cstddef>

#include <introspect/fwd/policies.hpp>
#include <introspect/pipeline/drop_policy.hpp>

namespace introspect::inline v1 {

//! A full queue refuses the new record.
struct drop_newest {
  using category = tag::drop;
  using queue_policy = pipeline::drop_newest;
};
//! A full queue evicts its oldest record to take the new one (the default: recent is precious).
struct drop_oldest {
  using category = tag::drop;
  using queue_policy = pipeline::drop_oldest;
};

//! Each recording thread stages its records in a ring of its own (RingBytes, allocated at the
//! thread's first record; no locked instruction per call) that the writer drains beside the
//! shared queue, merged by timestamp. A full ring refuses the thread's new record (counted as
//! queue_full, as the queue's drops are). At most MaxThreads rings at a time: a thread past
//! the cap (and a thread recording to a fifth instance) uses the shared queue, which evicts its
//! oldest when full. Memory: at most MaxThreads × RingBytes beside the queue; a ring is freed
//! by the writer once its thread exited and it was read to the end. 1 MiB (~13 000 notifications
//! of 3 attributes) drops as few as the medium queue's 16 384 slots at 1-2 M records/s from one
//! thread; 256 KiB dropped 9-22 % there (bench_notify, load 5).
template <std::size_t MaxThreads = 8, std::size_t RingBytes = 1024 * 1024>
struct per_thread_rings {
  using category = tag::drop;
  using queue_policy = pipeline::drop_oldest;  // the shared queue, for threads without a ring
  static constexpr std::size_t max_threads = MaxThreads;
  static constexpr std::size_t ring_bytes = RingBytes;
};

}  // namespace introspect::inline v1
