// expect: sink::tee<A, B>: A and B take different records
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::small, ix::sources<>,
                                 ix::sink::tee<ix::sink::stream_store, ix::sink::jsonl_file>>;
int main() { return sizeof(misuse) == 0; }
