// The INTROSPECT_* macro forms: when the type does not record the kind, the arguments are not
// even evaluated (like spdlog's SPDLOG_ACTIVE_LEVEL), so an expensive argument costs nothing.
// Usage: example_macros STORE_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include <introspect/introspect.hpp>

namespace ix = introspect;

static int evaluations = 0;
static std::string expensive_summary() {
  ++evaluations;  // stands for work the product would rather skip
  return "3 of 4 replicas in sync";
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
    return 2;
  }
  ix::tiny_introspection ins({.store = argv[1], .instance = "macros"});

  // Recorded kinds: the arguments are evaluated and the record is written.
  INTROSPECT_STATE(ins, "replication", expensive_summary());
  INTROSPECT_NOTIFY(ins, ix::severity::notice, "replica caught up", {{"replica", 2}});
  // Kinds the tiny tier does not record: nothing happens, not even the argument's evaluation.
  INTROSPECT_COUNT(ins, "replication.checks", (expensive_summary(), 1));
  INTROSPECT_GAUGE(ins, "replication.lag", expensive_summary());
  INTROSPECT_OBSERVE(ins, "replication.latency_us", expensive_summary().size());
  ins.flush();

  std::printf("expensive_summary() evaluated %d time(s)\n", evaluations);
  bool wrote = false;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    wrote = wrote || e.path().extension() == ".jsonl";
  return evaluations == 1 && wrote ? 0 : 1;
}
