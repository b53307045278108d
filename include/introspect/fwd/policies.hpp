#pragma once
//! Every policy category and every policy, declared in one place. Definitions live in policy/.
//!
//! A policy is a type with a nested `category` naming its tag; introspection<P...> resolves
//! the pack by category, order-free, and takes a missing category from the tier's defaults.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace introspect::inline v1 {

//! A duration usable as a template argument (std::chrono::duration is not a structural type).
struct duration_arg {
  std::int64_t ns;
  template <class R, class P>
  constexpr duration_arg(std::chrono::duration<R, P> d) noexcept
      : ns(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) {}
};

//! A list of types (categories, a tier's default policies).
template <class... Ts>
struct type_list {};

//! Policy categories. Each carries the sentence that names its misuse, next to the check:
//! `given<N>` is instantiated with the number of policies of the category a build gave.
namespace tag {
struct tier {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1,
                  "introspection<...>: two tier policies given; keep one of tier::tiny ... uber");
  };
};
struct cadence {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two cadence policies given; keep one");
  };
};
struct sink {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1,
                  "introspection<...>: two sink policies given; keep one (sink::tee<A, B> "
                  "writes to two)");
  };
};
struct mapping {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two mapping policies given; keep one");
  };
};
struct mode {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two mode policies given; keep one");
  };
};
struct sources {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1,
                  "introspection<...>: two sources<...> policies given; list all sources in one");
  };
};
struct kinds {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1,
                  "introspection<...>: two kinds<...> policies given; list all kinds in one");
  };
};
struct durability {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two durability policies given; keep one");
  };
};
struct segment {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two segment<...> policies given; keep one");
  };
};
struct drop {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: drop_newest and drop_oldest both given; keep one");
  };
};
struct expose {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1, "introspection<...>: two expose policies given; keep one");
  };
};
struct queue {
  template <std::size_t N>
  struct given {
    static_assert(N <= 1,
                  "introspection<...>: two queue policies given (queue::shared_queue, "
                  "queue::per_thread_rings<...>); keep one");
  };
};
}  // namespace tag

//! Every policy category, in one list: resolution, its checks, the tiers' completeness and the
//! policy tests fold over it. A new category is its tag above, its entry here and its default
//! in each tier.
using categories =
    type_list<tag::tier, tag::cadence, tag::sink, tag::mapping, tag::mode, tag::sources, tag::kinds,
              tag::durability, tag::segment, tag::drop, tag::expose, tag::queue>;

namespace tier {
struct tiny;    //!< rotating JSON-lines files, no thread
struct small;   //!< stream store, periodic 10 s
struct medium;  //!< stream store per kind, periodic 1 s
struct large;   //!< continuous, more sources
struct uber;    //!< snapshots of other stores, federated query
}  // namespace tier

namespace cadence {
struct off;        //!< nothing is collected from sources
struct on_demand;  //!< sources are collected when the product calls collect()
template <duration_arg Period>
struct periodic;    //!< every Period
struct continuous;  //!< records stream out as they occur
}  // namespace cadence

namespace sink {
struct null;          //!< discards everything (and compiles to nothing): sink/null.hpp
struct jsonl_file;    //!< rotating JSON-lines files: sink/jsonl_file.hpp
struct stream_store;  //!< the stream-store container: sink/stream_store.hpp
struct jetstream;     //!< NATS JetStream, fed from the local store: sink/jetstream.hpp
template <class... Sinks>
struct tee;  //!< tee<A, B>: both (sink/tee.hpp); tee<stream_store, jetstream> is uber's
}  // namespace sink

namespace mapping {
template <class... Limits>
struct single_stream_with;                   //!< every kind in one stream, with retention limits
using single_stream = single_stream_with<>;  //!< every kind in one stream
template <class... Retain>
struct stream_per_kind;  //!< one stream per kind, each with its own retention
}  // namespace mapping

namespace mode {
struct standalone;
struct kubernetes;
}  // namespace mode

namespace source {
struct process;     //!< /proc/self: RSS, CPU, fds, threads
struct host;        //!< load, memory, filesystem, disk I/O
struct kubernetes;  //!< Kubernetes resources (needs mode::kubernetes, engine/kubernetes.hpp)
struct etcd;        //!< snapshots and watches of etcd prefixes (engine/etcd.hpp)
}  // namespace source

template <class... Sources>
struct sources;  //!< the set of sources collected at the cadence

template <class... Kinds>
struct kinds;  //!< the set of record kinds recorded; all others compile out

namespace durability {
struct none;     //!< buffered, never fsynced
struct on_tick;  //!< fdatasync at each period (default)
template <std::uint32_t N>
struct every;       //!< fdatasync every N records
struct per_record;  //!< fdatasync before the writer moves on
}  // namespace durability

template <duration_arg D>
struct keep_for;  //!< retention by age
template <std::uint64_t N>
struct keep_bytes;  //!< retention by bytes
template <std::uint64_t N>
struct keep_count;  //!< retention by records
template <class Kind, class... Limits>
struct retain;  //!< the retention of one kind's stream
template <std::uint64_t Bytes, duration_arg Age>
struct segment;  //!< segment roll size and age

namespace expose {
struct none;             //!< no endpoint: the default of every tier
struct prometheus_http;  //!< GET /metrics from the metric registry (introspect::http)
}  // namespace expose

struct drop_newest;  //!< a full event queue refuses the new record
struct drop_oldest;  //!< a full event queue evicts its oldest record

namespace queue {
struct shared_queue;  //!< every thread's records go through the one event queue (default)
template <std::size_t MaxThreads, std::size_t RingBytes>
struct per_thread_rings;  //!< each recording thread stages its records in a ring of its own
}  // namespace queue

}  // namespace introspect::inline v1
