#include <catch2/catch.hpp>

#include <introspect/query/read/merge_cursor.hpp>
#include <introspect/query/read/reorder_cursor.hpp>

using namespace introspect;
using namespace introspect::query::read;

namespace {
record at(std::int64_t ts, std::string name) {
  record r;
  r.ts_ns = ts;
  r.name = std::move(name);
  return r;
}
std::vector<std::string> drain(record_cursor& s) {
  std::vector<std::string> out;
  record r;
  std::int64_t last = INT64_MIN;
  while (s.next(r)) {
    CHECK(r.ts_ns >= last);
    last = r.ts_ns;
    out.push_back(r.name);
  }
  return out;
}
}  // namespace

TEST_CASE("merge_cursor interleaves sorted inputs by time, ties in input order", "[query][merge]") {
  std::vector<std::unique_ptr<record_cursor>> in;
  in.push_back(std::make_unique<vector_cursor>(
      std::vector<record>{at(1, "a1"), at(4, "a4"), at(4, "a4b"), at(9, "a9")}));
  in.push_back(std::make_unique<vector_cursor>(std::vector<record>{}));
  in.push_back(std::make_unique<vector_cursor>(
      std::vector<record>{at(2, "b2"), at(4, "b4"), at(10, "b10")}));
  merge_cursor m(std::move(in));
  CHECK(drain(m) == std::vector<std::string>{"a1", "b2", "a4", "a4b", "b4", "a9", "b10"});
  record r;
  CHECK_FALSE(m.next(r));  // stays at the end
}

TEST_CASE("merge_all of nothing is empty; of one is that one", "[query][merge]") {
  auto none = merge_all({});
  record r;
  CHECK_FALSE(none->next(r));
  std::vector<std::unique_ptr<record_cursor>> one;
  one.push_back(std::make_unique<vector_cursor>(std::vector<record>{at(5, "x")}));
  auto s = merge_all(std::move(one));
  CHECK(drain(*s) == std::vector<std::string>{"x"});
}

TEST_CASE("reorder_cursor sorts records displaced less than its window", "[query][merge]") {
  std::vector<record> v{at(1, "1"), at(3, "3"),  at(2, "2"), at(5, "5"),
                        at(4, "4"), at(4, "4b"), at(6, "6")};
  reorder_cursor s(std::make_unique<vector_cursor>(v), 4);
  CHECK(drain(s) == std::vector<std::string>{"1", "2", "3", "4", "4b", "5", "6"});
}
