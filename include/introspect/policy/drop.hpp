#pragma once
//! Drop policies of the event queue: what a full queue does. Either way the drop is counted
//! by cause and the count is recorded as a metric. Where a thread's records wait for the
//! writer (the shared queue, or a ring per thread) is the queue category: policy/queue.hpp.
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

}  // namespace introspect::inline v1
