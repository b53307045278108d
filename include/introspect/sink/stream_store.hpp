#pragma once
//! sink::stream_store: records go to the stream-store container through store_engine.
#include <introspect/engine/select.hpp>
#include <introspect/engine/store_engine.hpp>
#include <introspect/policy/sink.hpp>

namespace introspect::inline v1::detail {

template <class Resolved>
struct engine_for<sink::stream_store, Resolved> {
  using type = store_engine<Resolved>;
};

}  // namespace introspect::inline v1::detail
