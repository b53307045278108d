// The generated translation units beside this one each include one metrics header alone.
#include <catch2/catch.hpp>

TEST_CASE("every metrics header compiles on its own", "[metrics][headers]") { SUCCEED(); }
