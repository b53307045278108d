#include <catch2/catch.hpp>
#include <introspect/store/names.hpp>
#include <introspect/store/writer.hpp>

#include "util.hpp"

namespace st = introspect::store;

TEST_CASE("names reject traversal, separators, control characters and length", "[store][names]") {
  CHECK(st::name_problem("all").empty());
  CHECK(st::name_problem("node-1_a.b").empty());
  CHECK_FALSE(st::name_problem("").empty());
  CHECK_FALSE(st::name_problem("..").empty());
  CHECK_FALSE(st::name_problem(".").empty());
  CHECK_FALSE(st::name_problem("a/b").empty());
  CHECK_FALSE(st::name_problem("a..b").empty());
  CHECK_FALSE(st::name_problem(".hidden").empty());
  CHECK_FALSE(st::name_problem(std::string("a\nb")).empty());
  CHECK_FALSE(st::name_problem(std::string("a\x7f")).empty());
  CHECK(st::name_problem(std::string(128, 'a')).empty());
  CHECK_FALSE(st::name_problem(std::string(129, 'a')).empty());
  CHECK_THROWS_WITH(st::validate_name("../etc", "stream"),
                    Catch::Contains("stream name") && Catch::Contains(".."));
}

TEST_CASE("segment names round trip with 20 zero-padded digits", "[store][names]") {
  CHECK(st::detail::segment_log_name(42) == "segment-00000000000000000042.log");
  CHECK(st::detail::parse_segment_name("segment-00000000000000000042.log", ".log") == 42u);
  CHECK_FALSE(st::detail::parse_segment_name("segment-0000000000000000042.log", ".log"));
  CHECK_FALSE(st::detail::parse_segment_name("segment-0000000000000000004x.log", ".log"));
  CHECK_FALSE(st::detail::parse_segment_name("segment-00000000000000000042.idx", ".log"));
}

TEST_CASE("writer rejects bad scope and stream names with a clear error", "[store][names]") {
  store_test::temp_dir d;
  CHECK_THROWS_AS(st::writer(d.path(), "../x"), st::name_error);
  CHECK_THROWS_AS(st::writer(d.path(), ""), st::name_error);
  st::writer w(d.path(), "node");
  CHECK_THROWS_WITH(w.stream("a/b"), Catch::Contains("path separator"));
  CHECK_THROWS_AS(w.stream(std::string(200, 's')), st::name_error);
  CHECK_THROWS_AS(w.put_meta("..", std::string_view("x")), st::name_error);
  CHECK_FALSE(std::filesystem::exists(d.path() / "x"));
}

TEST_CASE("files are created 0640 and directories 0750", "[store][names]") {
  store_test::temp_dir d;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("all");
    w.append(s, 1, 1, std::string_view("x"));
    w.put_meta("identity", std::string_view("node"));
  }
  auto perms = [](const std::filesystem::path& p) {
    return std::filesystem::status(p).permissions() & std::filesystem::perms::all;
  };
  using P = std::filesystem::perms;
  CHECK(perms(d / "node") == (P::owner_all | P::group_read | P::group_exec));
  CHECK(perms(d / "node/all") == (P::owner_all | P::group_read | P::group_exec));
  auto logs = store_test::logs_of(d / "node/all");
  REQUIRE(logs.size() == 1);
  CHECK(perms(logs[0]) == (P::owner_read | P::owner_write | P::group_read));
  CHECK(perms(d / "node/.meta/identity") == (P::owner_read | P::owner_write | P::group_read));
}
