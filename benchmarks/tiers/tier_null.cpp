// The harness around introspection<tier::tiny, sink::null>: the baseline the tiers' threads,
// memory and text size are read against (the null engine records nothing and starts nothing).
#include "footprint.hpp"

int main(int argc, char** argv) {
  namespace tb = tiers_bench;
  introspect::config c;
  c.store = "/nonexistent";  // never opened
  return tb::run<introspect::introspection<introspect::tier::tiny, introspect::sink::null>>(
      "harness + sink::null", std::move(c), tb::options::parse(argc, argv));
}
