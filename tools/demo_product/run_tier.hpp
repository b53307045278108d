#pragma once
//! One run of the demo through one introspection type: each tier (and mapping) is a separate
//! instantiation of run_tier<Ins>, chosen by the switch in tiers.cpp.
#include <cstdio>

#include <introspect/introspect.hpp>

#include "options.hpp"
#include "recorder.hpp"
#include "sim_clock.hpp"
#include "simulation.hpp"
#include "summary.hpp"

namespace demo {

//! Configures `Ins` as a product would, simulates, flushes, prints the summary; the exit code.
template <class Ins>
int run_tier(const options& o) {
  // The clock is at event 0 before the engine first reads it, so nothing predates the run.
  sim_clock::set_event(0);
  Ins::configure({.store = o.store,
                  .instance = o.instance,
                  .clock = o.simulated() ? &sim_clock::now : nullptr});
  auto& ins = Ins::instance();

  recorder<Ins> rec(ins, o);
  const fault_plan fault = plan_fault(o.fault, o.planned_ms());
  simulation<recorder<Ins>> sim(rec, o.seed, fault);
  sim.run();
  ins.flush();

  run_report r;
  r.calls = rec.calls();
  r.recorded = recorder<Ins>::recorded;
  r.events = rec.now_ms();
  r.fault = fault;
  r.stats = ins.stats();
  std::fprintf(stderr, "%s\n", format_summary(o, r).c_str());
  // The product keeps running when its store is unwritable; the demo says so in its status.
  return r.stats.write_errors || r.stats.dropped() ? 1 : 0;
}

}  // namespace demo
