// expect-success: the harness compiles a correct use with the same flags, so each failure
// above is the misuse and not a broken command line.
#include <boost/hana/define_struct.hpp>
#include <introspect/introspect.hpp>
namespace ix = introspect;

struct disk_health {
  BOOST_HANA_DEFINE_STRUCT(disk_health, (const char*, disk), (int, health));
};

// The same policies as the failing cases, used correctly (order-free).
using records_structs =
    ix::introspection<ix::kinds<ix::kind::state, ix::kind::notification, ix::kind::record>,
                      ix::tier::tiny>;
using silent = ix::introspection<ix::tier::tiny, ix::sink::null>;

void use(records_structs& ins, silent& quiet) {
  ins.record(disk_health{"sdb", 71});
  ins.state("container/3", "RECOVERING");
  quiet.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}});
}
int main() { return sizeof(ix::tiny_introspection) == 0; }
