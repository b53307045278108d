#pragma once
//! Client traffic between the scheduled work: reads served from the cache or long-term
//! storage, appends through the bookkeeper journal, and controller metadata calls. Latencies
//! are log-normal (a long right tail, as measured latencies have).
#include <algorithm>
#include <cstdint>

#include <introspect/core/kind.hpp>

#include "cluster.hpp"
#include "prng.hpp"
#include "scenario.hpp"

namespace demo {

//! Journal writes slower than this are reported ("slow journal write").
inline constexpr double slow_journal_us = 25'000;
//! A store reports slow journal writes at most this often (each report counts the slow writes
//! since the previous one): a product logs a storm of slow writes as a few lines, not thousands.
inline constexpr std::int64_t slow_report_every_ms = 5'000;
//! A store reports failed appends at most this often, with the count of failures since.
inline constexpr std::int64_t append_error_report_every_ms = 10'000;
//! Factor applied to journal latency during latency-spike.
inline constexpr double spike_factor = 20;

//! One client request on a live segment store, or one controller call.
template <class Rec>
void client_request(Rec& rec, prng& rng, cluster& cl, const fault_plan& fault, std::int64_t t) {
  const double what = rng.uniform();
  if (what >= 0.85) {
    rec.count("controller.requests");
    rec.observe("controller.request.latency_us",
                static_cast<std::int64_t>(rng.lognormal(400, 0.6)));
    return;
  }
  // Clients only reach stores that are up; a silent store gets no traffic.
  int live[store_count];
  int n = 0;
  for (const auto& s : cl.stores)
    if (!s.silent) live[n++] = s.id;
  auto& s = cl.stores[static_cast<std::size_t>(live[rng.between(0, n - 1)])];
  rec.count(s.requests);

  if (what < 0.55) {  // a read: the cache or long-term storage
    if (rng.chance(s.hit_ratio)) {
      rec.count(s.cache_hits);
      rec.observe(s.latency, static_cast<std::int64_t>(rng.lognormal(150, 0.5)));
    } else {
      rec.count(s.cache_misses);
      rec.observe(s.latency, static_cast<std::int64_t>(rng.lognormal(2500, 0.7)));
    }
    return;
  }

  // An append: journalled by the bookkeeper ensemble, then acknowledged.
  const auto size = rng.between(64LL << 10, 1LL << 20);  // a block of events, up to 1 MiB
  const auto bookie = rng.between(0, bookie_count - 1);
  double journal_us = rng.lognormal(900, 0.45);
  if (fault.active(scenario::latency_spike, t)) journal_us *= spike_factor;
  const double ack_us = rng.lognormal(120, 0.4);
  if (rng.chance(0.002)) ++s.ledger;  // ledgers roll over now and then
  if (s.dsk.level == disk_level::full) {
    rec.count(s.append_errors);
    ++s.append_errors_unreported;
    if (t - s.last_append_error >= append_error_report_every_ms) {
      s.last_append_error = t;
      rec.notify(introspect::severity::error, "append failed",
                 {{"store", s.name},
                  {"disk", s.dsk.dev},
                  {"error", "no space left on device"},
                  {"failed_appends", s.append_errors_unreported}});
      s.append_errors_unreported = 0;
    }
    return;
  }
  rec.observe("bookkeeper.write.latency_us", static_cast<std::int64_t>(journal_us));
  rec.observe(s.latency, static_cast<std::int64_t>(journal_us + ack_us));
  s.dsk.used = std::min(disk_capacity, s.dsk.used + size);
  s.dsk.written_since_reclaim += size;
  if (journal_us > slow_journal_us) {
    ++s.slow_unreported;
    if (t - s.last_slow_report >= slow_report_every_ms) {
      s.last_slow_report = t;
      rec.notify(introspect::severity::warning, "slow journal write",
                 {{"store", s.name},
                  {"bookie", cl.bookies[bookie]},
                  {"ledger", s.ledger},
                  {"latency_us", static_cast<std::int64_t>(journal_us)},
                  {"slow_writes", s.slow_unreported}});
      s.slow_unreported = 0;
    }
  }
}

}  // namespace demo
