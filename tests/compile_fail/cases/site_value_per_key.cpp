// expect: notify<message, keys...>(severity, values...): one value per key
#include <introspect/introspect.hpp>
namespace ix = introspect;

// A call site names its attribute keys as template arguments and passes one value per key.
int main() {
  ix::introspection<ix::tier::medium> ins{ix::config{.store = "/nonexistent", .instance = "x"}};
  ins.notify<"disk nearly full", "disk", "used_pct">(ix::severity::warning, "sdb");
}
