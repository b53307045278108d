// The tiny tier in ten lines: configure once, record states and notifications, and find the
// JSON-lines file they went to. Usage: example_tiny_quickstart STORE_DIR
#include <cstdint>
#include <cstdio>
#include <filesystem>

#include <introspect/introspect.hpp>

namespace ix = introspect;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  // Once at start-up, before the first instance() (otherwise $INTROSPECT_STORE or ./introspection).
  ix::tiny_introspection::configure({.store = argv[1], .instance = "quickstart"});

  // Anywhere in the product: one instance per process, no thread (the tiny tier has none).
  auto& ins = ix::tiny_introspection::instance();
  ins.state("controller", "STARTING");
  ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}, {"used_pct", 93}});
  ins.state("controller", "RUNNING");
  ins.count("requests");  // metrics are not a tiny-tier kind: this call compiles to nothing

  // Records are written each period and at exit; flush() writes them now.
  ins.flush();

  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    if (e.path().extension() == ".jsonl") {
      std::printf("wrote %s (%ju bytes)\n", e.path().c_str(),
                  static_cast<std::uintmax_t>(e.file_size()));
      ++files;
    }
  return files > 0 ? 0 : 1;
}
