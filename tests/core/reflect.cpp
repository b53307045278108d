// Reflection of Boost.Hana structs into fields, and record names (default and overridden).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>
#include <catch2/catch.hpp>

#include <introspect/introspect.hpp>

#include "support.hpp"

namespace ix = introspect;
using namespace std::chrono_literals;

namespace product {

enum class health : std::uint8_t { good = 0, degraded = 2, failed = 7 };

struct DiskHealth {
  BOOST_HANA_DEFINE_STRUCT(DiskHealth, (std::string, disk), (int, used_pct), (double, temp_c),
                           (bool, smart_ok), (health, state), (std::chrono::milliseconds, latency),
                           (std::uint64_t, bytes), (const char*, model), (std::string_view, bus),
                           (char, grade));
};

struct Renamed {
  BOOST_HANA_DEFINE_STRUCT(Renamed, (int, x));
};

template <class T>
struct Wrapper {
  BOOST_HANA_DEFINE_STRUCT(Wrapper, (int, y));
};

struct NotReflected {
  int z;
};

}  // namespace product

template <>
struct introspect::record_name<product::Renamed> {
  static constexpr std::string_view value = "custom.renamed";
};

static_assert(ix::reflected_struct<product::DiskHealth>);
static_assert(!ix::reflected_struct<product::NotReflected>);
static_assert(!ix::reflected_struct<int>);
static_assert(ix::field_count_v<product::DiskHealth> == 10);
static_assert(ix::record_name<product::DiskHealth>::value == "DiskHealth");
static_assert(ix::record_name<product::Renamed>::value == "custom.renamed");
static_assert(ix::record_name<product::Wrapper<product::DiskHealth>>::value ==
              "Wrapper<product::DiskHealth>");

TEST_CASE("a Hana struct's members become fields of the right types", "[reflect][large]") {
  const product::DiskHealth d{"sdb", 71,         45.5,    true,   product::health::degraded,
                              250ms, 1ull << 40, "WD-10", "sata", 'B'};
  const auto f = ix::reflect_fields(d);
  REQUIRE(f.size() == 10);
  CHECK(f[0].key == "disk");
  CHECK(f[0].value.type() == ix::value_type::string);
  CHECK(f[0].value.as_string() == "sdb");
  CHECK(f[1].key == "used_pct");
  CHECK(f[1].value.type() == ix::value_type::integer);
  CHECK(f[1].value.as_int() == 71);
  CHECK(f[2].value.type() == ix::value_type::real);
  CHECK(f[2].value.as_real() == 45.5);
  CHECK(f[3].value.type() == ix::value_type::boolean);
  CHECK(f[3].value.as_bool());
  CHECK(f[4].key == "state");
  CHECK(f[4].value.type() == ix::value_type::integer);  // enums: their underlying value
  CHECK(f[4].value.as_int() == 2);
  CHECK(f[5].key == "latency");
  CHECK(f[5].value.as_int() == 250'000'000);  // durations: nanoseconds
  CHECK(f[6].value.as_int() == (std::int64_t{1} << 40));
  CHECK(f[7].value.as_string() == "WD-10");
  CHECK(f[8].value.as_string() == "sata");
  CHECK(f[9].value.type() == ix::value_type::string);  // a char is a one-letter string
  CHECK(f[9].value.as_string() == "B");
}

TEST_CASE("record(s) writes a struct's fields under its name (large tier, tiny engine)",
          "[reflect][large]") {
  // records<kind::record> needs a tier that records user structs; the jsonl sink lets us read it.
  using with_records =
      ix::introspection<ix::tier::tiny, ix::kinds<ix::kind::state, ix::kind::record>>;
  static_assert(with_records::records<ix::kind::record>);
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  {
    with_records ins({.store = dir.path(), .instance = "r", .clock = &ixt::sim_clock});
    ins.record(product::DiskHealth{"sdc", 12, -3.25, false, product::health::failed, 2s, 7, "m",
                                   "nvme", 'C'});
    ins.record(product::Renamed{5});
  }
  int seen = 0;
  for (const auto& l : ixt::lines_in(dir.path())) {
    ixt::json j(l);
    if (j.str("kind") != "record") continue;
    ++seen;
    if (j.str("name") == "DiskHealth") {
      CHECK(std::string_view(j["fields"]["disk"]) == "sdc");
      CHECK(int64_t(j["fields"]["used_pct"]) == 12);
      CHECK(double(j["fields"]["temp_c"]) == -3.25);
      CHECK(bool(j["fields"]["smart_ok"]) == false);
      CHECK(int64_t(j["fields"]["state"]) == 7);
      CHECK(int64_t(j["fields"]["latency"]) == 2'000'000'000);
      CHECK(std::string_view(j["fields"]["grade"]) == "C");
    } else {
      CHECK(j.str("name") == "custom.renamed");
      CHECK(int64_t(j["fields"]["x"]) == 5);
    }
  }
  CHECK(seen == 2);
}
