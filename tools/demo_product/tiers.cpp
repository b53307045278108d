#include "tiers.hpp"

#include <cstdio>

#include <introspect/introspect.hpp>

#include "run_tier.hpp"
#include "stream_tier.hpp"

namespace demo {
namespace ix = introspect;

namespace {

#if !INTROSPECT_DEMO_STREAM_TIERS
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
      return run_small(o);
    case tier_id::medium:
      return run_medium(o);
    case tier_id::large:
      return run_large(o);
    case tier_id::uber:
      return run_uber(o);
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
