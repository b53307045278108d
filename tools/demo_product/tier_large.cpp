// The large tier's instantiations of the demo (see stream_tier.hpp).
#include <cstdio>

#include "stream_tier.hpp"

#if INTROSPECT_DEMO_STREAM_TIERS && INTROSPECT_DEMO_HTTP
#include <introspect/expose/prometheus_http.hpp>
#endif

#if INTROSPECT_DEMO_STREAM_TIERS
namespace demo {
int run_large(const options& o) {
#if INTROSPECT_DEMO_HTTP
  if (!o.metrics_listen.empty())
    return run_stream_tier<ix::tier::large, ix::mapping::stream_per_kind<>,
                           ix::expose::prometheus_http>(o);
#else
  if (!o.metrics_listen.empty()) {
    std::fprintf(stderr,
                 "demo_product: --metrics-listen needs a build with cpp-httplib "
                 "(introspect::http)\n");
    return 2;
  }
#endif
  return run_stream_tier<ix::tier::large, ix::mapping::stream_per_kind<>>(o);
}
}  // namespace demo
#endif
