// Every header of include/introspect/query/ is compiled alone by a generated translation unit
// linked into this test; this case proves the set is not empty and that the umbrella works.
#include <catch2/catch.hpp>

#include <introspect/query/store_set.hpp>

TEST_CASE("query headers compile alone and together", "[query]") {
  introspect::store_set set;
  CHECK(set.stores().empty());
}
