//! demo_product: a simulated storage product recording its introspection; see --help.
#include "options.hpp"
#include "tiers.hpp"

int main(int argc, char** argv) {
  const auto parsed = demo::parse_options(argc, argv);
  if (!parsed.opts) return parsed.exit_code;
  return demo::run_selected_tier(*parsed.opts);
}
