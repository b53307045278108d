// The medium tier with every default of the tier (sink, mapping, cadence, sources, durability).
#include "footprint.hpp"

int main(int argc, char** argv) {
  namespace tb = tiers_bench;
  static tb::temp_dir dir{"medium"};  // static: removed after the instance (also static) is gone
  introspect::config c;
  c.store = dir.path();
  return tb::run<introspect::medium_introspection>("medium", std::move(c),
                                                   tb::options::parse(argc, argv));
}
