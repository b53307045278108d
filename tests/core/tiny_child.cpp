// A product process for tiny_exit.cpp: records N notifications through the static instance,
// 1 ms apart on a simulated clock (period 1 s: a flush each 1000 records), then ends as told:
//   core_tiny_child STORE N return|exit|_exit|abort|kill|forever
// "forever" records without end (the parent kills it).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

#include <introspect/introspect.hpp>

namespace ix = introspect;
using namespace std::chrono_literals;

using child_introspection = ix::introspection<ix::tier::tiny, ix::cadence::periodic<1s>>;

namespace {
std::atomic<std::int64_t> now{1'767'225'600'000'000'000};  // 2026-01-01T00:00:00Z
std::int64_t sim_clock() noexcept { return now.load(std::memory_order_relaxed); }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: core_tiny_child STORE N MODE\n");
    return 2;
  }
  const std::string_view mode = argv[3];
  const long n = std::atol(argv[2]);
  child_introspection::configure({.store = argv[1], .instance = "child", .clock = &sim_clock});
  auto& ins = child_introspection::instance();
  ins.state("phase", "running");
  for (long i = 0; mode == "forever" || i < n; ++i) {
    now.fetch_add(1'000'000, std::memory_order_relaxed);
    ins.notify(ix::severity::info, "event", {{"i", i}});
  }
  if (mode == "exit") std::exit(0);
  if (mode == "_exit") ::_exit(0);
  if (mode == "abort") std::abort();
  if (mode == "kill") ::kill(::getpid(), SIGKILL);
  return 0;  // "return": static destructors flush
}
