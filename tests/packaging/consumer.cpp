// A product outside the tree: records a few tiny-tier records, then checks that its JSON-lines
// file exists and holds them. Shared by the find_package and add_subdirectory consumers.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <introspect/introspect.hpp>

#ifdef CONSUMER_WITH_SQLITE
#include <sqlite3.h>  // brought by introspect::sqlite, the component the consumer asked for
#endif

namespace ix = introspect;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  const fs::path store = argv[1];
  std::error_code ec;
  fs::remove_all(store, ec);  // a stale file from an earlier run must not make this pass

  {
    ix::tiny_introspection ins({.store = store, .instance = "consumer"});
    ins.state("consumer/phase", "STARTED");
    ins.notify(ix::severity::info, "consumer built against the package", {{"via", CONSUMER_VIA}});
    ins.state("consumer/phase", "DONE");
    ins.flush();
  }

  int lines = 0;
  for (const auto& e : fs::directory_iterator(store, ec)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    for (std::string l; std::getline(in, l);)
      if (l.find("\"consumer/phase\"") != std::string::npos ||
          l.find("consumer built against the package") != std::string::npos)
        ++lines;
  }
  // 2 states + 1 notification, plus the state table written at each flush.
  if (lines < 3) {
    std::fprintf(stderr, "expected the consumer's records in %s, found %d lines\n", store.c_str(),
                 lines);
    return 1;
  }
#ifdef CONSUMER_WITH_SQLITE
  std::printf("sqlite %s linked through introspect::sqlite\n", sqlite3_libversion());
#endif
  std::printf("consumer (%s): %d lines recorded\n", CONSUMER_VIA, lines);
  return 0;
}
