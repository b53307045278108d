// expect: introspection<...>: two tier policies given; keep one of tier::tiny ... uber
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::tier::small>;
int main() { return sizeof(misuse) == 0; }
