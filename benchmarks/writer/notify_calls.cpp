// notify() with 3 attributes on introspection<tier::medium>, called back to back with nothing
// else on the product's thread: the program to count the call's instructions with callgrind
// (bench_notify times it; this counts it). Each batch of 1 000 calls is one call of an
// extern "C" function whose name selects what callgrind collects; a flush() between batches,
// outside it, keeps the queue and rings from filling.
//
//   valgrind --tool=callgrind --separate-threads=yes --toggle-collect=ix_calls_batch
//       build/bin/notify_calls rings 200   (one command)
//   callgrind_annotate callgrind.out.<pid>-01   # the product's thread; Ir / (batches x 1 000)
//
// Usage: notify_calls queue|rings|queue-const|rings-const [batches, default 200]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <introspect/introspect.hpp>

#include "bench_common.hpp"

namespace ix = introspect;

namespace {

using medium = ix::introspection<ix::tier::medium>;
using medium_rings = ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<>>;

std::int64_t constant_clock() noexcept { return 1'700'000'000'000'000'000; }

template <class Ins>
[[gnu::always_inline]] inline void notify3(Ins& ins, std::uint64_t i) {
  ins.notify(ix::severity::warning, "disk nearly full",
             {{"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}});
}

void* target = nullptr;
void (*batch_fn)(std::uint64_t) = nullptr;

template <class Ins>
void batch_of(std::uint64_t from) {
  auto& ins = *static_cast<Ins*>(target);
  for (std::uint64_t i = from; i < from + 1000; ++i) notify3(ins, i);
}

}  // namespace

// What callgrind collects (--toggle-collect=ix_calls_batch): 1 000 calls.
extern "C" [[gnu::noinline]] void ix_calls_batch(std::uint64_t from) {
  batch_fn(from);
  asm volatile("" ::: "memory");
}

template <class Ins>
int run(bool constant, std::uint64_t batches) {
  const auto dir = bench::fresh_dir("ix-notify-calls", "x");
  {
    ix::config c{.store = dir, .instance = "calls", .on_error = ix::ignore_errors};
    if (constant) c.clock = &constant_clock;
    Ins ins{c};
    target = &ins;
    batch_fn = &batch_of<Ins>;
    for (std::uint64_t b = 0; b < batches; ++b) {
      ix_calls_batch(b * 1000);
      ins.flush();
    }
    const auto st = ins.stats();
    std::printf("%llu records, %llu dropped\n", static_cast<unsigned long long>(st.records),
                static_cast<unsigned long long>(st.dropped_buffer_full));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "rings";
  const std::uint64_t batches = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200;
  const bool constant = mode.find("-const") != std::string::npos;
  if (mode.rfind("rings", 0) == 0) return run<medium_rings>(constant, batches);
  if (mode.rfind("queue", 0) == 0) return run<medium>(constant, batches);
  std::fprintf(stderr, "usage: notify_calls queue|rings|queue-const|rings-const [batches]\n");
  return 2;
}
