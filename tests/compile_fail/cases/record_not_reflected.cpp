// expect: introspection::record(s) needs a struct adapted with BOOST_HANA_DEFINE_STRUCT or
// BOOST_HANA_ADAPT_STRUCT
#include <introspect/introspect.hpp>
namespace ix = introspect;

struct not_reflected {
  int health = 0;
};

using records_structs =
    ix::introspection<ix::tier::tiny,
                      ix::kinds<ix::kind::state, ix::kind::notification, ix::kind::record>>;
void misuse(records_structs& ins) { ins.record(not_reflected{71}); }
int main() { return 0; }
