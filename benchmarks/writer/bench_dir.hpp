#pragma once
// A fresh store directory per run for the writer benchmarks: under INTROSPECT_BENCH_DIR
// (e.g. /dev/shm, to measure the CPU rather than the disk) or /tmp.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace bench {

inline std::filesystem::path fresh_dir(const std::string& prefix, const std::string& tag) {
  const char* base = std::getenv("INTROSPECT_BENCH_DIR");
  std::random_device rd;
  auto p = std::filesystem::path(base && *base ? base : "/tmp") /
           (prefix + "-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace bench
