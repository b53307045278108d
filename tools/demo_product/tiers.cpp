#include "tiers.hpp"

#include <cstdio>

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

#if INTROSPECT_DEMO_STREAM_TIERS
#include <introspect/sink/stream_store.hpp>
#endif

#include "run_tier.hpp"

namespace demo {
namespace ix = introspect;

namespace {

#if INTROSPECT_DEMO_STREAM_TIERS
// --mapping passes a mapping policy; without it the tier's own default applies (small: one
// stream, medium and up: a stream per kind), spelled out so each tier has two instantiations.
template <class Tier, class DefaultMapping>
int run_stream_tier(const options& o) {
  switch (o.mapping) {
    case mapping_id::single:
      return run_tier<ix::introspection<Tier, ix::mapping::single_stream>>(o);
    case mapping_id::per_kind:
      return run_tier<ix::introspection<Tier, ix::mapping::stream_per_kind<>>>(o);
    case mapping_id::tier_default:
      break;
  }
  return run_tier<ix::introspection<Tier, DefaultMapping>>(o);
}
#else
int not_landed(const options& o) {
  std::fprintf(stderr,
               "demo_product: tier '%.*s' needs the stream store, which has not landed in this "
               "build\n",
               static_cast<int>(to_string(o.tier).size()), to_string(o.tier).data());
  return 2;
}
#endif

}  // namespace

int run_selected_tier(const options& o) {
  switch (o.tier) {
    case tier_id::tiny:
      return run_tier<ix::introspection<ix::tier::tiny>>(o);
#if INTROSPECT_DEMO_STREAM_TIERS
    case tier_id::small:
      return run_stream_tier<ix::tier::small, ix::mapping::single_stream>(o);
    case tier_id::medium:
      return run_stream_tier<ix::tier::medium, ix::mapping::stream_per_kind<>>(o);
    case tier_id::large:
      return run_stream_tier<ix::tier::large, ix::mapping::stream_per_kind<>>(o);
    case tier_id::uber:
      return run_stream_tier<ix::tier::uber, ix::mapping::stream_per_kind<>>(o);
#else
    case tier_id::small:
    case tier_id::medium:
    case tier_id::large:
    case tier_id::uber:
      return not_landed(o);
#endif
  }
  return 2;
}

}  // namespace demo
