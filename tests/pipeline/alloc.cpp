// Pushing, draining and waiting never allocate after construction. This executable replaces the
// global operator new with a counting one, so it stays separate from the other tests.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>

#include "introspect/pipeline/event_slot.hpp"

namespace {
std::atomic<std::size_t> g_allocations{0};
}

// Under AddressSanitizer the runtime owns operator new/delete (and reports a replacement that
// mixes them with malloc/free), so the counting allocator, and the checks, are left out there:
// the guarantee is checked by the ordinary build.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool k_counting = false;
#else
constexpr bool k_counting = true;
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace p = introspect::pipeline;

TEST_CASE("queue operations do not allocate after construction", "[pipeline][alloc]") {
  if (!k_counting) {
    WARN("AddressSanitizer build: allocation counting disabled");
    return;
  }
  const std::string big(300, 'b');
  const std::string msg(80, 'm');
  p::event_queue<256, p::drop_oldest> oldest(64);
  p::event_queue<256, p::drop_newest> newest(64);
  const auto before = g_allocations.load();
  std::size_t drained = 0;
  for (int k = 0; k < 1000; ++k) {
    (void)p::publish(oldest, 1, k, msg);
    (void)p::publish(newest, 1, k, msg);
    (void)p::publish(newest, 1, k, big);  // oversize
    if (k % 100 == 0) {
      drained += oldest.drain([](p::event_slot<256>&) {}, 32);
      drained += newest.drain([](p::event_slot<256>&) {});
    }
  }
  (void)oldest.wait(std::chrono::milliseconds(0));
  oldest.notify();
  CHECK(g_allocations.load() == before);
  CHECK(drained > 0);
  CHECK(newest.drops().get(p::drop_cause::oversize) == 1000);
}
