#pragma once
//! Chooses the engine type of a resolved policy set: a disabled capability is a different type.
#include <cstdint>
#include <type_traits>

#include <introspect/engine/null_engine.hpp>
#include <introspect/policy/cadence.hpp>
#include <introspect/policy/expose.hpp>
#include <introspect/policy/kinds.hpp>
#include <introspect/policy/sink.hpp>

namespace introspect::inline v1::detail {

template <class T>
inline constexpr bool dependent_false = false;

// Specialised by each sink policy's header, sink/<policy>.hpp (primary: a sink whose header is
// not included).
template <class Sink, class Resolved, class = void>
struct engine_for {
  static_assert(dependent_false<Sink>,
                "introspection<...>: this sink's header is not included; include "
                "<introspect/introspect.hpp> (stream_store) or <introspect/sink/jetstream.hpp> "
                "(tee<stream_store, jetstream>, the uber default)");
};

// The sink type of a sink policy (a tee's parts); specialised by each sink policy's header.
template <class Sink, class Resolved>
struct sink_for {
  static_assert(dependent_false<Sink>,
                "sink::tee<A, B>: the header of A or B is not included (sink/<policy>.hpp)");
};
template <class Sink, class Resolved>
using sink_t = typename sink_for<Sink, Resolved>::type;

// The endpoint of an expose policy; specialised by each endpoint's header.
template <class Expose, class Engine>
struct endpoint_for {
  static_assert(dependent_false<Expose>,
                "introspection<...>: expose::prometheus_http's endpoint is not included; include "
                "<introspect/expose/prometheus_http.hpp> and link introspect::http");
};

//! expose::none: no endpoint, no thread, no options; takes no space in the introspection type.
struct no_endpoint {
  struct options {};
  static constexpr int threads = 0;
  template <class Engine>
  constexpr no_endpoint(Engine&, options) noexcept {}
};

template <class Engine>
struct endpoint_for<expose::none, Engine> {
  using type = no_endpoint;
};

template <class Resolved, class Engine>
using endpoint_t = typename endpoint_for<typename Resolved::expose, Engine>::type;

// True when no kind of the list is recorded by this build (kinds<>, or all removed by
// INTROSPECT_DISABLE_KINDS).
template <class Kinds>
inline constexpr bool no_kind_recorded = false;
template <class... K>
inline constexpr bool no_kind_recorded<kinds<K...>> = (kind_disabled_by_build<K::value>() && ...);

// A type records nothing with sink::null (its header maps it to null_engine), or with
// cadence::off and no kind: nothing to write and nothing to collect, whatever the sink.
template <class Resolved>
inline constexpr bool records_nothing = no_kind_recorded<typename Resolved::kinds>&&
    std::is_same_v<typename Resolved::cadence, cadence::off>;

// Lazy: the sink's engine_for is not even looked at when the type records nothing.
template <class Resolved, bool Nothing = records_nothing<Resolved>>
struct engine_select {
  using type = typename engine_for<typename Resolved::sink, Resolved>::type;
};
template <class Resolved>
struct engine_select<Resolved, true> {
  using type = null_engine;
};

template <class Resolved>
using engine_t = typename engine_select<Resolved>::type;

}  // namespace introspect::inline v1::detail
