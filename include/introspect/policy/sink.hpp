#pragma once
//! Sink policies: where records go.
#include <tuple>
#include <type_traits>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::sink {
//! Records go nowhere (sink/null.hpp): every call compiles to nothing.
struct null {
  using category = tag::sink;
};
//! Rotating JSON-lines files, written inline at each period (sink/jsonl_file.hpp).
struct jsonl_file {
  using category = tag::sink;
};
//! The stream-store container, written by the writer thread (sink/stream_store.hpp).
struct stream_store {
  using category = tag::sink;
};
//! NATS JetStream, fed from the local store (never instead of it): usable only as B in
//! tee<stream_store, jetstream> (sink/jetstream.hpp says so with a static_assert).
struct jetstream {};
//! Every record to two sinks, A then B (sink/tee.hpp): tee<stream_store, jetstream> is the uber
//! default; tee<stream_store, null> is a store with an empty second sink.
template <class... Sinks>
struct tee {
  using category = tag::sink;
  static_assert(sizeof...(Sinks) == 2,
                "sink::tee<...>: a tee takes two sinks, tee<A, B> (nest tees for more)");
};

//! True when records written to `Sink` reach `Target` (a sink, or a tee holding it).
template <class Sink, class Target>
inline constexpr bool feeds_v = std::is_same_v<Sink, Target>;
template <class... Sinks, class Target>
inline constexpr bool feeds_v<tee<Sinks...>, Target> = (feeds_v<Sinks, Target> || ...);
}  // namespace introspect::inline v1::sink
