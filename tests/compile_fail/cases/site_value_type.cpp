// expect: notify<message, keys...>(severity, values...): a value notify() cannot take
#include <vector>

#include <introspect/introspect.hpp>
namespace ix = introspect;

// A call site's values are what an attribute list takes: strings, integers, reals, booleans.
int main() {
  ix::introspection<ix::tier::medium> ins{ix::config{.store = "/nonexistent", .instance = "x"}};
  ins.notify<"queue depths", "depths">(ix::severity::info, std::vector<int>{1, 2});
}
