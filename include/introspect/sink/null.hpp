#pragma once
//! sink::null: records go nowhere. Its engine is null_engine (empty, no thread, no lock: every
//! call compiles to nothing); null_sink is the empty sink for composing (tee<A, null>).
#include <cstdint>

#include <introspect/engine/null_engine.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/engine/stats.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/sink/concept.hpp>

namespace introspect::inline v1 {

//! The empty sink: accepts any record, writes nothing, starts nothing.
struct null_sink {
  using input = framed_record;
  static constexpr int threads = 0;
  null_sink() noexcept = default;
  template <class Config>
  explicit null_sink(const Config&) noexcept {}
  template <class Record>
  void append(const Record&) noexcept {}
  bool flush(std::int64_t) noexcept { return false; }
  bool tick(std::int64_t) noexcept { return false; }
  engine_stats stats() const noexcept { return {}; }
};

namespace detail {
template <class Resolved>
struct sink_for<sink::null, Resolved> {
  using type = null_sink;
};
template <class Resolved>
struct engine_for<sink::null, Resolved> {
  using type = null_engine;
};
}  // namespace detail

}  // namespace introspect::inline v1
