// expect: introspection<...>: sources<...> are collected by the stream-store engine's thread;
// sink::jsonl_file has no thread, so list no sources with it
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse = ix::introspection<ix::tier::tiny, ix::sources<ix::source::process>>;
int main() { return sizeof(misuse) == 0; }
