// expect: introspection<...>: sink::jsonl_file writes one file set; mapping::stream_per_kind needs
// sink::stream_store
#include <introspect/introspect.hpp>
namespace ix = introspect;

using misuse =
    ix::introspection<ix::tier::tiny, ix::sink::jsonl_file, ix::mapping::stream_per_kind<>>;
int main() { return sizeof(misuse) == 0; }
