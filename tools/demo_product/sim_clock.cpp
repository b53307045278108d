#include "sim_clock.hpp"

#include <atomic>

namespace demo::sim_clock {
namespace {
// Atomic because engines of larger tiers read the clock from their own thread.
std::atomic<std::int64_t> current{epoch_ns};
}  // namespace

void set_event(std::int64_t index) noexcept {
  current.store(epoch_ns + index * ns_per_event, std::memory_order_relaxed);
}

std::int64_t now() noexcept { return current.load(std::memory_order_relaxed); }

}  // namespace demo::sim_clock
