#pragma once
//! One run of the demo through one introspection type: each tier (and mapping) is a separate
//! instantiation of run_tier<Ins>, chosen by the switch in tiers.cpp.
#include <cstdio>
#include <type_traits>

#include <unistd.h>

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
  const introspect::config cfg{
      .store = o.store, .instance = o.instance, .clock = o.simulated() ? &sim_clock::now : nullptr};
  constexpr bool serves = !std::is_same_v<typename Ins::expose, introspect::expose::none>;
  if constexpr (serves)
    Ins::configure(cfg, {.listen = o.metrics_listen,
                         .bearer_token = o.metrics_token,
                         .name_patterns = {"disk.{disk}.*", "segmentstore.{store}.*",
                                           "segmentstore.{store}.*.*"}});
  else
    Ins::configure(cfg);
  auto& ins = Ins::instance();
  if constexpr (serves) {
    if (!ins.endpoint().port()) return 1;  // the endpoint said why on stderr
    std::fprintf(stderr, "demo_product: serving http://%s/metrics on port %d\n",
                 o.metrics_listen.c_str(), ins.endpoint().port());
  }

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
  if constexpr (serves) {
    // A product stays up: /metrics keeps answering with the run's final values until stopped.
    std::fprintf(stderr, "demo_product: run done; serving /metrics until stopped\n");
    for (;;) ::pause();
  }
  // The product keeps running when its store is unwritable; the demo says so in its status.
  return r.stats.write_errors || r.stats.dropped() ? 1 : 0;
}

//! One simulated instance through its own `Ins` object (not the process singleton), so that one
//! process can simulate several instances; `wait(ins)` runs before the object is destroyed.
template <class Ins, class Wait>
int run_instance(const options& o, std::string instance, std::uint64_t seed, Wait&& wait) {
  sim_clock::set_event(0);
  typename Ins::config c{.store = o.store,
                         .instance = std::move(instance),
                         .clock = o.simulated() ? &sim_clock::now : nullptr};
  if constexpr (requires { c.jetstream.url; })
    if (!o.nats.empty()) c.jetstream.url = o.nats;
  Ins ins{c};
  recorder<Ins> rec(ins, o);
  const fault_plan fault = plan_fault(o.fault, o.planned_ms());
  simulation<recorder<Ins>> sim(rec, seed, fault);
  sim.run();
  ins.flush();
  wait(ins);
  run_report r;
  r.calls = rec.calls();
  r.recorded = recorder<Ins>::recorded;
  r.events = rec.now_ms();
  r.fault = fault;
  r.stats = ins.stats();
  options shown = o;
  shown.instance = c.instance;
  shown.seed = seed;
  std::fprintf(stderr, "%s\n", format_summary(shown, r).c_str());
  return r.stats.write_errors || r.stats.dropped() ? 1 : 0;
}

}  // namespace demo
