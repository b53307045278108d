// The uber tier's instantiations of the demo (see stream_tier.hpp).
#include "stream_tier.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS
#if INTROSPECT_DEMO_JETSTREAM
#include <introspect/engine/jetstream.hpp>
#endif

namespace demo {
namespace {
// --instances N: instance names <instance>-1 .. -N, seeds seed .. seed+N-1, one after the other.
template <class Ins, class Wait>
int run_instances(const options& o, Wait wait) {
  int rc = 0;
  for (int i = 1; i <= o.instances; ++i) {
    const auto name = o.instances == 1 ? o.instance : o.instance + "-" + std::to_string(i);
    rc = std::max(rc, run_instance<Ins>(o, name, o.seed + static_cast<std::uint64_t>(i - 1), wait));
  }
  return rc;
}
}  // namespace

// Without --nats the demo keeps uber's every other default and records to the local stream
// store only, so that it runs anywhere; with --nats it uses uber's own sink, tee<stream_store,
// jetstream>, and waits until JetStream acknowledged every record of each instance.
int run_uber(const options& o) {
  if (o.nats.empty()) {
    if (o.instances == 1)
      return run_stream_tier<ix::tier::uber, ix::mapping::stream_per_kind<>,
                             ix::sink::stream_store>(o);
    return run_instances<ix::introspection<ix::tier::uber, ix::sink::stream_store>>(o,
                                                                                    [](auto&) {});
  }
#if INTROSPECT_DEMO_JETSTREAM
  return run_instances<ix::uber_introspection>(o, [](auto& ins) {
    if (!ins.engine().attachment().forwarder().wait_idle(std::chrono::seconds(30)))
      std::fprintf(stderr, "demo_product: JetStream did not acknowledge every record in 30 s\n");
  });
#else
  std::fprintf(stderr, "demo_product: --nats needs a build with libnats (introspect::jetstream)\n");
  return 2;
#endif
}
}  // namespace demo
#endif
