#pragma once
//! The stream-store tiers' instantiations: one translation unit per tier (tier_*.cpp), so that
//! a build with two cores compiles them side by side.
#include <introspect/introspect.hpp>

// Tiers small and up need the stream store (issue 4). They light up by themselves when its
// sink header appears; define INTROSPECT_DEMO_STREAM_TIERS=0 to build the demo without them.
#ifndef INTROSPECT_DEMO_STREAM_TIERS
#if __has_include(<introspect/sink/stream_store.hpp>)
#define INTROSPECT_DEMO_STREAM_TIERS 1
#else
#define INTROSPECT_DEMO_STREAM_TIERS 0
#endif
#endif

#include "options.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS
#include <introspect/sink/stream_store.hpp>

#include "run_tier.hpp"
#endif

namespace demo {

#if INTROSPECT_DEMO_STREAM_TIERS
namespace ix = introspect;

//! Runs `Tier` with `Mapping` (none: the tier's own). A seeded run (simulated clock) writes its
//! store without fdatasync (durability::none): it stops at every period of the simulated clock
//! to let the engine do its period (recorder.hpp), and a sync there would cost ~20 ms of real
//! time per simulated second, while a crash of a simulation loses nothing the seed cannot
//! replay. Runs with --duration keep the tier's durability.
template <class Tier, class... Mapping>
int run_with_durability(const options& o) {
  if (o.simulated()) return run_tier<ix::introspection<Tier, Mapping..., ix::durability::none>>(o);
  return run_tier<ix::introspection<Tier, Mapping...>>(o);
}

//! --mapping passes a mapping policy; without it the tier's default shape applies (small: one
//! stream, medium and up: a stream per kind), spelled as one of the two, so each tier has two
//! mappings (times two durabilities) to instantiate.
//! `Extra` are further policies the demo overrides (uber's sink).
template <class Tier, class DefaultMapping, class... Extra>
int run_stream_tier(const options& o) {
  switch (o.mapping) {
    case mapping_id::single:
      return run_with_durability<Tier, ix::mapping::single_stream, Extra...>(o);
    case mapping_id::per_kind:
      return run_with_durability<Tier, ix::mapping::stream_per_kind<>, Extra...>(o);
    case mapping_id::tier_default:
      break;
  }
  return run_with_durability<Tier, DefaultMapping, Extra...>(o);
}
#endif

//! One entry per stream-store tier, defined in tier_<name>.cpp.
int run_small(const options& o);
int run_medium(const options& o);
int run_large(const options& o);
int run_uber(const options& o);

}  // namespace demo
