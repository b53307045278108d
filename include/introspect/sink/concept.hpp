#pragma once
//! What a sink is (spdlog's base_sink/sink_it_ split): an engine owns the threads, the locks and
//! the hand-off; a sink writes. An engine calls its sink from one thread at a time: the product's
//! calls under the engine's lock (inline_engine) or the writer thread (threaded_engine).
#include <concepts>
#include <cstdint>
#include <string_view>

#include <introspect/core/kind.hpp>

namespace introspect::inline v1 {

//! One record as the threaded engine hands it to its sink: encoded by the binary codec (the
//! payload of a store frame), with its kind and time stamp beside it.
struct framed_record {
  record_kind kind = record_kind::state;
  std::int64_t ts_ns = 0;
  std::string_view payload;
};

//! A sink: `append` takes one record (`S::input`: record_view for the inline engine,
//! framed_record for the threaded one); `flush(t)` writes what it buffered and `tick(t)` does
//! its periodic work (rotation, retention), each true when bytes reached the files; `stats()`
//! says what it wrote and lost. `threads` counts the threads the sink itself starts.
template <class S>
concept record_sink = requires(S& s, const S& cs, const typename S::input& in, std::int64_t t) {
  s.append(in);
  { s.flush(t) } -> std::convertible_to<bool>;
  { s.tick(t) } -> std::convertible_to<bool>;
  cs.stats();
  { S::threads } -> std::convertible_to<int>;
};

}  // namespace introspect::inline v1
