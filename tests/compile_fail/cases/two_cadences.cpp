// expect: introspection<...>: two cadence policies given; keep one
#include <introspect/introspect.hpp>
namespace ix = introspect;
using namespace std::chrono_literals;

using misuse = ix::introspection<ix::cadence::continuous, ix::cadence::periodic<1s>>;
int main() { return sizeof(misuse) == 0; }
