#pragma once
//! Queue policies: where a recording thread's records wait for the writer — the engine's one
//! shared event queue (every tier's default), or a ring per thread. What a full queue or ring
//! does is the drop category (policy/drop.hpp).
#include <cstddef>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1 {

namespace queue {

//! Every recording thread's records go through the engine's one bounded event queue (the
//! default of every tier): one locked instruction per call, a 448-byte slot per record.
struct shared_queue {
  using category = tag::queue;
};

//! Each recording thread stages its records in a ring of its own (RingBytes, allocated at the
//! thread's first record; no locked instruction per call) that the writer drains beside the
//! shared queue, merged by timestamp. A full ring refuses the thread's new record (counted as
//! queue_full, as the queue's drops are). At most MaxThreads rings at a time: a thread past
//! the cap (and a thread recording to a fifth instance) uses the shared queue, whose drop policy
//! (drop_oldest, drop_newest) applies as without rings. Memory: at most MaxThreads × RingBytes
//! beside the queue; a ring is freed by the writer once its thread exited and it was read to the
//! end. 1 MiB (~13 000 notifications of 3 attributes) drops as few as the medium queue's 16 384
//! slots at 1-2 M records/s from one thread; 256 KiB dropped 9-22 % there (bench_notify, load 5).
template <std::size_t MaxThreads = 8, std::size_t RingBytes = 1024 * 1024>
struct per_thread_rings {
  using category = tag::queue;
  static constexpr std::size_t max_threads = MaxThreads;
  static constexpr std::size_t ring_bytes = RingBytes;
};

}  // namespace queue

//! The spelling of sessions before the queue category (then a drop policy): the same policy.
template <std::size_t MaxThreads = 8, std::size_t RingBytes = 1024 * 1024>
using per_thread_rings = queue::per_thread_rings<MaxThreads, RingBytes>;

}  // namespace introspect::inline v1
