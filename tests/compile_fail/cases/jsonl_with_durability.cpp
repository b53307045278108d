// expect: introspection<...>: durability policies apply to sink::stream_store; sink::jsonl_file
// writes whole lines once per period
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::durability::per_record>;
int main() { return sizeof(misuse) == 0; }
