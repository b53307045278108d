// INTROSPECT_* macros: arguments (and the instance expression) are not evaluated for kinds the
// type does not record, and are evaluated exactly once for kinds it records.
#include <string>

#include <boost/hana/define_struct.hpp>
#include <catch2/catch.hpp>

#include <introspect/introspect.hpp>

#include "support.hpp"

namespace ix = introspect;

namespace {

struct Sample {
  BOOST_HANA_DEFINE_STRUCT(Sample, (int, v));
};

int evaluated = 0;
int side(int v = 1) {
  ++evaluated;
  return v;
}
const char* side_name(const char* n) {
  ++evaluated;
  return n;
}
Sample side_struct() {
  ++evaluated;
  return Sample{1};
}

}  // namespace

TEST_CASE("disabled kinds do not evaluate the macro arguments (tiny: metric, record)",
          "[macros][tiny]") {
  ixt::temp_dir dir;
  ix::tiny_introspection ins({.store = dir.path(), .instance = "m", .clock = &ixt::sim_clock});
  static_assert(!ix::tiny_introspection::records<ix::kind::metric>);
  static_assert(!ix::tiny_introspection::records<ix::kind::record>);
  evaluated = 0;
  INTROSPECT_COUNT(ins, side_name("requests"), side(3));
  INTROSPECT_COUNT(ins, side_name("requests"));
  INTROSPECT_GAUGE(ins, side_name("cache.bytes"), side(1234));
  INTROSPECT_OBSERVE(ins, side_name("latency"), side(87));
  INTROSPECT_RECORD(ins, side_struct());
  // The instance expression itself is not evaluated either.
  INTROSPECT_COUNT((side(), ins), "x");
  CHECK(evaluated == 0);
  CHECK(ins.stats().records == 0);
}

TEST_CASE("enabled kinds evaluate each macro argument once and record", "[macros][tiny]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  ix::tiny_introspection ins({.store = dir.path(), .instance = "m", .clock = &ixt::sim_clock});
  evaluated = 0;
  INTROSPECT_STATE(ins, side_name("container/3"), side(2));
  INTROSPECT_NOTIFY(ins, ix::severity::warning, side_name("disk nearly full"),
                    {{"disk", "sdb"}, {"pct", side(71)}});
  INTROSPECT_NOTIFY(ins, ix::severity::info, side_name("plain"));
  CHECK(evaluated == 5);
  CHECK(ins.stats().records == 3);
  ins.flush();
  int notes = 0;
  for (const auto& l : ixt::lines_in(dir.path())) {
    ixt::json j(l);
    if (j.str("kind") == "notification") {
      ++notes;
      if (j.str("name") == "disk nearly full") CHECK(int64_t(j["fields"]["pct"]) == 71);
    }
  }
  CHECK(notes == 2);
}

TEST_CASE("a type with metrics enabled evaluates the metric macro arguments", "[macros][small]") {
  using with_metrics = ix::introspection<ix::tier::small, ix::sink::null, ix::sources<>>;
  with_metrics ins({});
  evaluated = 0;
  INTROSPECT_COUNT(ins, side_name("requests"), side(3));
  INTROSPECT_GAUGE(ins, side_name("g"), side());
  INTROSPECT_OBSERVE(ins, side_name("o"), side());
  CHECK(evaluated == 6);
  // ...while its disabled kind (record) still evaluates nothing.
  INTROSPECT_RECORD(ins, side_struct());
  CHECK(evaluated == 6);
}

TEST_CASE("macros are single statements (safe in an unbraced if/else)", "[macros][tiny]") {
  ixt::temp_dir dir;
  ix::tiny_introspection ins({.store = dir.path(), .instance = "m", .clock = &ixt::sim_clock});
  evaluated = 0;
  bool flag = false;
  if (flag)
    INTROSPECT_STATE(ins, "k", side());
  else
    INTROSPECT_COUNT(ins, "c", side());
  CHECK(evaluated == 0);
  CHECK(ins.stats().records == 0);
}
