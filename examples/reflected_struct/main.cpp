// record() of a product struct reflected with Boost.Hana: each member becomes a field.
// The tiny tier does not record structs by default; kinds<...> adds kind::record.
// Usage: example_reflected_struct STORE_DIR
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/hana/define_struct.hpp>
#include <introspect/introspect.hpp>

namespace ix = introspect;

//! The product's own view of a disk, as it would record it.
struct disk_health {
  BOOST_HANA_DEFINE_STRUCT(disk_health, (std::string, disk), (int, health_pct),
                           (std::chrono::milliseconds, last_scrub), (bool, degraded));
};

using product_introspection =
    ix::introspection<ix::tier::tiny,
                      ix::kinds<ix::kind::state, ix::kind::notification, ix::kind::record>>;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  product_introspection ins({.store = argv[1], .instance = "reflected"});
  ins.record(disk_health{"sdb", 71, std::chrono::milliseconds{1500}, false});
  ins.record(disk_health{"sdc", 12, std::chrono::milliseconds{90}, true});
  ins.flush();

  // Each struct is one line: {"kind":"record","name":"disk_health","fields":{...}}.
  int records = 0;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);)
      if (line.find("\"kind\":\"record\"") != std::string::npos &&
          line.find("\"health_pct\"") != std::string::npos) {
        std::printf("%s\n", line.c_str());
        ++records;
      }
  }
  return records == 2 ? 0 : 1;
}
