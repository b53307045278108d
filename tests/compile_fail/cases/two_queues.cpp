// expect: introspection<...>: two queue policies given (queue::shared_queue,
// queue::per_thread_rings<...>); keep one
#include <introspect/introspect.hpp>
namespace ix = introspect;

// The queue category (the shared event queue or per-thread rings) takes one policy, as every
// other category does.
using misuse =
    ix::introspection<ix::tier::medium, ix::queue::shared_queue, ix::queue::per_thread_rings<>>;
int main() { return sizeof(misuse) == 0; }
