// expect: kinds<...> takes kind tags only: kind::state, kind::metric, kind::notification
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::kinds<ix::kind::state, int>>;
int main() { return sizeof(misuse) == 0; }
