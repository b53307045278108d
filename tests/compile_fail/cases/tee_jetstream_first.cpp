// expect: sink::tee<sink::jetstream, B>: JetStream is fed from the local store
#include <introspect/introspect.hpp>
#include <introspect/sink/jetstream.hpp>
namespace ix = introspect;

using misuse =
    ix::introspection<ix::tier::large, ix::sink::tee<ix::sink::jetstream, ix::sink::stream_store>>;
int main() { return sizeof(misuse) == 0; }
