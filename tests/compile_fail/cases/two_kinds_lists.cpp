// expect: introspection<...>: two kinds<...> policies given; list all kinds in one
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::kinds<ix::kind::state>,
                                 ix::kinds<ix::kind::notification>>;
int main() { return sizeof(misuse) == 0; }
