#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>
#include <introspect/introspect.hpp>

#include "../support/temp_dir.hpp"

using ix_test::temp_dir;

namespace ix = introspect;

namespace {
std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

template <class T>
std::size_t threads_started_by() {
  // ThreadSanitizer starts a background thread of its own at the first pthread_create: create
  // (and join) one first so that only the engine's threads are counted.
  std::thread([] {}).join();
  temp_dir d;
  const auto before = thread_count();
  T ins{ix::config{.store = d.path(), .instance = "n"}};
  ins.state("k", 1);
  ins.notify(ix::severity::info, "m");
  ins.tick();
  ins.flush();
  return thread_count() - before;
}
}  // namespace

TEST_CASE("each tier starts the threads design.md's tier matrix says", "[engine][threads]") {
  CHECK(threads_started_by<ix::tiny_introspection>() == 0);
  CHECK(threads_started_by<ix::small_introspection>() == 1);
  CHECK(threads_started_by<ix::medium_introspection>() == 1);
  CHECK(threads_started_by<ix::large_introspection>() == 1);
  STATIC_REQUIRE(ix::tiny_introspection::threads == 0);
  STATIC_REQUIRE(ix::small_introspection::threads == 1);
  STATIC_REQUIRE(ix::introspection<ix::sink::null>::threads == 0);
}

TEST_CASE("the writer thread ends with its instance", "[engine][threads]") {
  const auto before = thread_count();
  threads_started_by<ix::medium_introspection>();
  CHECK(thread_count() == before);
}
