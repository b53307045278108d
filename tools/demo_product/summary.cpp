#include "summary.hpp"

#include <iterator>

#include <fmt/format.h>

#include <introspect/format/rfc3339.hpp>

#include "call_kind.hpp"
#include "sim_clock.hpp"

namespace demo {
namespace {
// Simulated runs name the fault window in record time; real-time runs relative to the start.
std::string fault_time(const options& o, std::int64_t ms) {
  if (o.simulated()) return introspect::format_rfc3339(sim_clock::epoch_ns + ms * 1'000'000);
  return fmt::format("+{}ms", ms);
}
}  // namespace

std::string format_summary(const options& o, const run_report& r) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "demo_product: tier={} mapping={} seed={} events={} clock={} scenario={}",
                 to_string(o.tier), to_string(o.mapping), o.seed, r.events,
                 o.simulated() ? "simulated" : "real", to_string(o.fault));
  if (r.fault.faulty())
    fmt::format_to(it, " fault_onset={} fault_end={}", fault_time(o, r.fault.onset_ms),
                   fault_time(o, r.fault.end_ms));
  for (std::size_t k = 0; k < r.calls.size(); ++k)
    fmt::format_to(it, " {}={}{}", call_kind_names[k], r.calls[k],
                   r.recorded[k] ? "" : "(compiled-out)");
  fmt::format_to(it, " flushes={}", r.stats.flushes);
  if (r.stats.dropped() || r.stats.write_errors)
    fmt::format_to(it, " dropped={} write_errors={}", r.stats.dropped(), r.stats.write_errors);
  fmt::format_to(it, " store={} instance={}", o.store.string(), o.instance);
  return out;
}

}  // namespace demo
