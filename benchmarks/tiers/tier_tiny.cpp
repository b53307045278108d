// The tiny tier: JSON-lines files, no thread; its clock is offset by the tick() measurement.
#include "footprint.hpp"

int main(int argc, char** argv) {
  namespace tb = tiers_bench;
  static tb::temp_dir dir{"tiny"};  // static: removed after the instance (also static) is gone
  introspect::config c;
  c.store = dir.path();
  c.clock = &tb::offset_clock;
  return tb::run<introspect::tiny_introspection>("tiny", std::move(c),
                                                 tb::options::parse(argc, argv));
}
