#include <catch2/catch.hpp>

#include <introspect/core/glob.hpp>

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

TEST_CASE("glob: what fnmatch(3) gives behind the fast paths", "[query][glob]") {
  // POSIX character classes, alone and mixed with ranges and single characters.
  CHECK(glob_match("disk[[:digit:]]", "disk7"));
  CHECK_FALSE(glob_match("disk[[:digit:]]", "diskx"));
  CHECK(glob_match("[[:alpha:]_]*", "_private"));
  CHECK(glob_match("[[:upper:]][[:lower:]]*", "Cache"));
  CHECK_FALSE(glob_match("[[:upper:]][[:lower:]]*", "cache"));
  CHECK(glob_match("x[[:space:]]y", "x y"));
  CHECK(glob_match("v[[:xdigit:]][[:xdigit:]]", "vA0"));
  CHECK_FALSE(glob_match("v[[:xdigit:]][[:xdigit:]]", "vAg"));
  CHECK(glob_match("[![:digit:]]*", "cpu0"));
  CHECK_FALSE(glob_match("[![:digit:]]*", "0cpu"));
  // '^' negates like '!'; ']' first in a class and '-' first or last are members.
  CHECK(glob_match("disk[^a]", "diskb"));
  CHECK_FALSE(glob_match("disk[^a]", "diska"));
  CHECK(glob_match("a[]]b", "a]b"));
  CHECK(glob_match("a[!]]b", "axb"));
  CHECK_FALSE(glob_match("a[!]]b", "a]b"));
  CHECK(glob_match("a[-x]b", "a-b"));
  CHECK(glob_match("a[x-]b", "a-b"));
  // Escapes: in a class, and of every metacharacter outside one.
  CHECK(glob_match("x[\\]]y", "x]y"));
  CHECK(glob_match("a\\?b", "a?b"));
  CHECK_FALSE(glob_match("a\\?b", "axb"));
  CHECK(glob_match("a\\[b]", "a[b]"));
  CHECK(glob_match("\\*x*", "*xyz"));
  CHECK_FALSE(glob_match("\\*x*", "axyz"));
  CHECK(glob_match("a\\\\b", "a\\b"));
  CHECK(glob_match("dir\\\\", "dir\\"));  // an escaped backslash at the end
  CHECK(glob_match("dir\\", "dir\\"));    // a lone trailing backslash is itself (as before)
  // An unclosed class is literal text, in the general path too; '*' crosses '/' and '.'.
  CHECK(glob_match("[ab*", "[abc"));
  CHECK_FALSE(glob_match("[a-z", "b"));
  CHECK(glob_match("*/[0-9]", "pod/a/3"));
  CHECK(glob_match("?x*", ".x/y"));
  // Long names take the heap copy; a NUL byte matches only itself (fnmatch cannot see it).
  const std::string long_name(600, 'a');
  CHECK(glob_match("a*[a]", long_name));
  CHECK_FALSE(glob_match("a*[b]", long_name));
  CHECK(glob_match(std::string_view("a\0?", 3), std::string_view("a\0?", 3)));
  CHECK_FALSE(glob_match("a?[b]", std::string_view("a\0b", 3)));
}
