// The large tier's instantiations of the demo (see stream_tier.hpp).
#include "stream_tier.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS
namespace demo {
int run_large(const options& o) {
  return run_stream_tier<ix::tier::large, ix::mapping::stream_per_kind<>>(o);
}
}  // namespace demo
#endif
