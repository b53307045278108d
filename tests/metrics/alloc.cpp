// The update paths never allocate after registration. This executable replaces the global
// operator new with a counting one, so it must stay separate from the other tests.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <thread>

#include "introspect/metrics/registry.hpp"

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
void* operator new(std::size_t n, std::align_val_t a) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto al = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

namespace m = introspect::metrics;

TEST_CASE("the counting allocator sees allocations", "[metrics][alloc]") {
  if (!k_counting) {
    WARN("AddressSanitizer build: allocation counting disabled");
    return;
  }
  const auto before = g_allocations.load();
  m::registry reg;
  reg.counter("one");
  CHECK(g_allocations.load() > before);
}

TEST_CASE("updates after registration do not allocate", "[metrics][alloc]") {
  if (!k_counting) {
    WARN("AddressSanitizer build: allocation counting disabled");
    return;
  }
  m::registry reg;
  auto& c = reg.counter("controller.requests");
  auto& g = reg.gauge("cache.bytes");
  auto& h = reg.histogram("write.latency_us");
  c.inc();  // the thread's first update takes a slot (glibc may malloc for TLS teardown, not new)

  std::size_t during = 0;
  std::thread worker([&] {
    c.inc();  // warm this thread's slot
    const auto before = g_allocations.load();
    for (int k = 0; k < 10000; ++k) {
      c.inc();
      c.inc(3);
      g.set(k);
      g.add(1.5);
      h.observe(k);
      h.observe(-k);
      reg.count("controller.requests");  // by name, existing: a lookup, no std::string
      reg.set("cache.bytes", k);
      reg.observe("write.latency_us", k);
    }
    (void)c.value();
    during = g_allocations.load() - before;
  });
  worker.join();
  CHECK(during == 0);
  CHECK(c.value() == 1 + 1 + 10000 * 5);
}

TEST_CASE("snapshots after registration do not allocate", "[metrics][alloc]") {
  if (!k_counting) {
    WARN("AddressSanitizer build: allocation counting disabled");
    return;
  }
  m::registry reg;
  reg.count("a");
  reg.set("b", 1);
  reg.observe("c", 1);
  const auto before = g_allocations.load();
  double total = 0;
  reg.snapshot([&](std::string_view, const auto& s) {
    if constexpr (requires { s.value; }) total += static_cast<double>(s.value);
  });
  CHECK(g_allocations.load() == before);
  CHECK(total == 2.0);
}
