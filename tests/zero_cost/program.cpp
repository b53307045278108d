// Zero means zero, for a whole program: a product's main() that configures the type, takes its
// instance and makes every call, built once per variant (ZC_VARIANT), must have exactly the
// text, data and bss of the same main() without introspect (compare_size.cmake).
//   0: no introspect at all;  1: sink::null;  2: cadence::off with kinds<> (records nothing).
#if ZC_VARIANT != 0
#include <boost/hana/define_struct.hpp>
#include <introspect/introspect.hpp>

namespace ix = introspect;
struct disk_health {
  BOOST_HANA_DEFINE_STRUCT(disk_health, (const char*, disk), (int, health));
};
#if ZC_VARIANT == 1
using product_introspection = ix::introspection<ix::tier::tiny, ix::sink::null>;
#else
using product_introspection = ix::introspection<ix::tier::tiny, ix::cadence::off, ix::kinds<> >;
#endif
static_assert(product_introspection::records_nothing);
#endif

int main(int argc, char** argv) {
#if ZC_VARIANT != 0
  product_introspection::configure(
      {.store = argc > 1 ? argv[1] : "zero-store", .instance = "zero", .file_bytes = 4096});
  auto& ins = product_introspection::instance();
  ins.state("controller", "RUNNING");
  ins.state("segmentstore.cache.bytes", argc);
  ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}, {"pct", argc}});
  ins.count("controller.requests");
  ins.gauge("segmentstore.cache.bytes", argc);
  ins.observe("bookkeeper.write.latency_us", argc * 3);
  ins.record(disk_health{"sdb", argc});
  INTROSPECT_COUNT(ins, "controller.requests");
  ins.tick();
  ins.flush();
  if (ins.stats().records != 0) return 3;
#else
  (void)argv;
#endif
  return argc > 100;
}
