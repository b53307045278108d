// expect: introspection<...>: a template argument is not an introspect policy
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<int>;
int main() { return sizeof(misuse) == 0; }
