#pragma once
//! Sink policies: where records go.
#include <tuple>
#include <type_traits>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::sink {
struct null {
  using category = tag::sink;
};
struct jsonl_file {
  using category = tag::sink;
};
struct stream_store {
  using category = tag::sink;
};
//! NATS JetStream, fed from the local store (never instead of it): usable only inside tee.
struct jetstream {};
//! Several sinks. The only composition offered is tee<stream_store, jetstream>: the local store
//! stays the source of truth (support works offline) and a forwarder feeds JetStream from it.
template <class... Sinks>
struct tee {
  using category = tag::sink;
  static_assert(sizeof...(Sinks) == 2 &&
                    std::is_same_v<std::tuple<Sinks...>, std::tuple<stream_store, jetstream>>,
                "sink::tee<...>: the supported composition is tee<sink::stream_store, "
                "sink::jetstream> (JetStream is fed from the local store)");
};
}  // namespace introspect::inline v1::sink
