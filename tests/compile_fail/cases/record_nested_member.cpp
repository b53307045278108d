// expect: introspection::record(s): every member of a reflected struct must be a number, bool,
// enum, std::chrono::duration or string
#include <boost/hana/define_struct.hpp>
#include <introspect/introspect.hpp>
namespace ix = introspect;

struct inner {
  BOOST_HANA_DEFINE_STRUCT(inner, (int, a));
};
struct outer {
  BOOST_HANA_DEFINE_STRUCT(outer, (inner, nested));
};

using records_structs =
    ix::introspection<ix::tier::tiny,
                      ix::kinds<ix::kind::state, ix::kind::notification, ix::kind::record>>;
void misuse(records_structs& ins) { ins.record(outer{}); }
int main() { return 0; }
