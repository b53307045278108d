// The harness around introspection<tier::tiny, sink::null>: the baseline the tiers' threads,
// memory and text size are read against (the null engine records nothing and starts nothing).
#include "footprint.hpp"

int main(int argc, char** argv) {
  namespace tb = tiers_bench;
  using null_type = introspect::introspection<introspect::tier::tiny, introspect::sink::null>;
  null_type::config c;       // null_config: accepts every field, keeps none
  c.store = "/nonexistent";  // never opened
  return tb::run<null_type>("harness + sink::null", std::move(c), tb::options::parse(argc, argv));
}
