// The small tier's instantiations of the demo (see stream_tier.hpp).
#include "stream_tier.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS
namespace demo {
int run_small(const options& o) {
  return run_stream_tier<ix::tier::small, ix::mapping::single_stream>(o);
}
}  // namespace demo
#endif
