// introspect tail: the latest records; with --follow, then what a live writer appends.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <introspect/core/clock.hpp>
#include <introspect/query/time_arg.hpp>

#include "common.hpp"
#include "follow.hpp"
#include "remote.hpp"

namespace ixcli {

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void stop_tail(int) { g_stop = 1; }

void by_time(std::vector<ix::record>& v) {
  std::stable_sort(v.begin(), v.end(),
                   [](const ix::record& a, const ix::record& b) { return a.ts_ns < b.ts_ns; });
}

int tail_once(const qread::store_set& set, const filter_args& fa,
              const qexpr::record_filter& filter, qout::writer& w, std::size_t n) {
  auto log = make_damage_log();
  const auto streams = select_streams(set, fa);
  auto src = set.open(streams, filter.hint(), log);
  std::vector<ix::record> ring;
  std::size_t next = 0;
  ix::record r;
  while (src->next(r)) {
    if (!filter.matches(r) || n == 0) continue;
    if (ring.size() < n) {
      ring.push_back(r);
    } else {
      ring[next] = r;
      next = (next + 1) % n;
    }
  }
  for (std::size_t i = 0; i < ring.size(); ++i) w.write(ring[(next + i) % ring.size()]);
  w.finish();
  return 0;
}

}  // namespace

int cmd_tail(const filter_args& fa, const output_args& oa, std::size_t n, bool follow,
             const std::string& timeout) {
  const auto format = make_format(oa.format);
  const auto filter = make_filter(fa, ix::realtime_ns());
  std::optional<std::int64_t> limit;
  if (!timeout.empty()) {
    limit = ix::query::parse_duration(timeout);
    if (!limit) throw usage_error{"--timeout \"" + timeout + "\": not a duration (like 5s, 1m)"};
  }
  auto set = open_stores(fa.stores);
  // Tables for people are aligned over what they show; following prints as records arrive
  // (and never through a pager, which would hold them back).
  output_args plain = oa;
  plain.no_pager = plain.no_pager || follow;
  output_sink out(plain, format, fa.utc);
  auto w = qout::make_writer(format, out.file(), out.style());
  if (!follow) return tail_once(set, fa, filter, *w, n);

  auto log = make_damage_log();
  std::vector<std::unique_ptr<follower>> followers;
  for (const auto& s : set.stores()) {
    if (auto* ss = dynamic_cast<const qread::stream_store_reader*>(s.get()))
      followers.push_back(std::make_unique<stream_follower>(*ss, filter, fa, log));
    else if (s->format() == "jetstream")
      followers.push_back(make_nats_follower(*s, filter, fa, log));
    else if (s->format() != "jsonl")
      throw usage_error{"--follow: a " + std::string(s->format()) +
                        " store cannot be followed in this build"};
  }
  if (!set.jsonl_dirs().empty() || !set.jsonl_files().empty())
    followers.push_back(std::make_unique<jsonl_follower>(set, filter, fa, log));
  ::signal(SIGINT, stop_tail);
  ::signal(SIGTERM, stop_tail);
  std::vector<ix::record> batch;
  for (auto& f : followers) f->start(batch);
  by_time(batch);
  const auto first = batch.size() > n ? batch.size() - n : 0;
  for (std::size_t i = first; i < batch.size(); ++i) w->write(batch[i]);
  w->finish();
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  while (!g_stop) {
    if (limit && std::chrono::steady_clock::now() - t0 >= std::chrono::nanoseconds(*limit)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    batch.clear();
    for (auto& f : followers) f->poll(batch);
    by_time(batch);
    for (const auto& r : batch) w->write(r);
    w->finish();
    std::fflush(stdout);
    if (std::ferror(stdout)) break;
  }
  return 0;
}

}  // namespace ixcli
