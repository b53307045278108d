#pragma once
//! Chooses the engine type of a resolved policy set: a disabled capability is a different type.
#include <type_traits>

#include <introspect/engine/null_engine.hpp>
#include <introspect/engine/sync_engine.hpp>
#include <introspect/policy/expose.hpp>
#include <introspect/policy/sink.hpp>

namespace introspect::inline v1::detail {

template <class T>
inline constexpr bool dependent_false = false;

// Specialised by each sink's engine header (primary: a sink whose engine is not included).
template <class Sink, class Resolved, class = void>
struct engine_for {
  static_assert(dependent_false<Sink>,
                "introspection<...>: this sink's engine is not included; include "
                "<introspect/introspect.hpp> (stream_store) or <introspect/engine/jetstream.hpp> "
                "(tee<stream_store, jetstream>, the uber default)");
};

template <class Resolved>
struct engine_for<sink::null, Resolved> {
  using type = null_engine;
};

// JSON-lines files are written each period; cadences without a period flush each 60 s.
template <class Resolved>
struct engine_for<sink::jsonl_file, Resolved> {
  static constexpr std::int64_t period =
      Resolved::cadence::period_ns > 0 ? Resolved::cadence::period_ns : 60'000'000'000;
  using type = sync_engine<period>;
};

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

template <class Resolved>
using engine_t = typename engine_for<typename Resolved::sink, Resolved>::type;

}  // namespace introspect::inline v1::detail
