// The uber tier's instantiations of the demo (see stream_tier.hpp).
#include "stream_tier.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS
namespace demo {
// The uber tier's own sink tees the store to JetStream, which needs a NATS server and the
// introspect::jetstream component; the demo keeps uber's every other default and records to
// the local stream store only, so that it runs anywhere.
int run_uber(const options& o) {
  return run_stream_tier<ix::tier::uber, ix::mapping::stream_per_kind<>, ix::sink::stream_store>(o);
}
}  // namespace demo
#endif
