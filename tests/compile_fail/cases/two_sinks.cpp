// expect: introspection<...>: two sink policies given; keep one
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::sink::null, ix::sink::jsonl_file>;
int main() { return sizeof(misuse) == 0; }
