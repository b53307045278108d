#pragma once
//! Sink policies: where records go.
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
}  // namespace introspect::inline v1::sink
