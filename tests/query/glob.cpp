#include <catch2/catch.hpp>

#include <introspect/query/glob.hpp>

using introspect::glob_match;

TEST_CASE("glob matches literals, stars and question marks", "[query][glob]") {
  CHECK(glob_match("cache.hits", "cache.hits"));
  CHECK_FALSE(glob_match("cache.hits", "cache.hit"));
  CHECK(glob_match("cache.*", "cache.hits"));
  CHECK(glob_match("cache.*", "cache.a.b.c"));  // a star crosses dots
  CHECK(glob_match("cache.*", "cache."));
  CHECK_FALSE(glob_match("cache.*", "cache"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*.latency_us", "bookkeeper.write.latency_us"));
  CHECK(glob_match("c?che", "cache"));
  CHECK_FALSE(glob_match("c?che", "cche"));
  CHECK(glob_match("*a*b*c", "xxaxxbxxc"));
  CHECK_FALSE(glob_match("*a*b*c", "xxaxxcxxb"));
}

TEST_CASE("glob classes, negation and escapes", "[query][glob]") {
  CHECK(glob_match("container/[0-9]", "container/3"));
  CHECK_FALSE(glob_match("container/[0-9]", "container/x"));
  CHECK(glob_match("disk[!a]", "diskb"));
  CHECK_FALSE(glob_match("disk[!a]", "diska"));
  CHECK(glob_match("a\\*b", "a*b"));
  CHECK_FALSE(glob_match("a\\*b", "axb"));
  CHECK(glob_match("[ab", "[ab"));  // an unclosed class is literal text
  CHECK(introspect::glob_is_literal("cache.hits"));
  CHECK_FALSE(introspect::glob_is_literal("cache.*"));
}
