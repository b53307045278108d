// expect: cadence::periodic<D> needs a positive period
#include <chrono>

#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::cadence::periodic<std::chrono::seconds{0}>>;
int main() { return sizeof(misuse) == 0; }
