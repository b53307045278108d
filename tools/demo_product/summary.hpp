#pragma once
//! The one line the demo prints on stderr when it ends: what it recorded, and where.
#include <array>
#include <cstdint>
#include <string>

#include <introspect/engine/stats.hpp>

#include "options.hpp"
#include "scenario.hpp"

namespace demo {

//! What a run did, as the summary reports it.
struct run_report {
  std::array<std::int64_t, 4> calls{};  //!< recording calls by call_kind
  std::array<bool, 4> recorded{};       //!< false: the tier compiles that kind out
  std::int64_t events = 0;
  fault_plan fault;
  introspect::engine_stats stats;
};

//! "demo_product: tier=tiny ... state=12 notification=3 metric=40(compiled-out) ... store=D".
std::string format_summary(const options& o, const run_report& r);

}  // namespace demo
