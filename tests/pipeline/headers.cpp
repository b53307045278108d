// The generated translation units beside this one each include one pipeline header alone.
#include <catch2/catch.hpp>

TEST_CASE("every pipeline header compiles on its own", "[pipeline][headers]") { SUCCEED(); }
