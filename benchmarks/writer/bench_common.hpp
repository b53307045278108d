#pragma once
// What the writer benchmarks share: a fresh store directory per run, under INTROSPECT_BENCH_DIR
// (e.g. /dev/shm, to measure the CPU rather than the disk) or /tmp, and a product's pacing.
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

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

//! Sleeps until `deadline` (absolute, CLOCK_MONOTONIC), as a product between two calls.
inline void sleep_until(const timespec& deadline) {
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}

//! `t` plus `ns` nanoseconds.
inline timespec add_ns(timespec t, std::int64_t ns) {
  t.tv_nsec += ns;
  while (t.tv_nsec >= 1'000'000'000) {
    t.tv_nsec -= 1'000'000'000;
    ++t.tv_sec;
  }
  return t;
}

}  // namespace bench
