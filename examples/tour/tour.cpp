// A tour of introspect, one feature per function, each with the #include it needs right above
// it (spdlog's example.cpp). Built and run by ctest; the docs take their snippets from here.
// Usage: example_tour DIR   (every store of the tour goes under DIR)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// 1. The stream store, with metric handles. A product names one type per deployment build; a
//    handle is registered once and its inc() is the fast path (no lookup, no lock, no I/O).
#include <introspect/introspect.hpp>
namespace ix = introspect;

// The small tier (stream store, periodic 10 s), without its process source.
using store_build = ix::introspection<ix::tier::small, ix::sources<>>;

bool stream_store_with_counter_handles(const fs::path& store) {
  store_build ins{ix::config{.store = store, .instance = "node-1"}};
  auto& requests = ins.counter("controller.requests");
  auto& cache = ins.gauge_handle("segmentstore.cache.bytes");
  auto& latency = ins.histogram("bookkeeper.write.latency_us");
  for (int i = 0; i < 1000; ++i) {
    requests.inc();
    latency.observe(50 + i % 100);
  }
  cache.set(1 << 20);
  ins.state("container/3", "RUNNING");
  ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}, {"used_pct", 93}});
  // The same record from a call site whose message and keys are template arguments: their
  // bytes are made at compile time, the call encodes only the values (about half the cost).
  ins.notify<"disk nearly full", "disk", "used_pct">(ix::severity::warning, "sdb", 93);
  ins.flush();  // the writer thread writes the queue and the metric snapshot now
  const auto s = ins.stats();
  std::printf("1. stream store: %ju records accepted, %ju dropped\n",
              static_cast<std::uintmax_t>(s.records), static_cast<std::uintmax_t>(s.dropped()));
  return s.records == 3 && s.dropped() == 0;
}

// ---------------------------------------------------------------------------------------------
// 2. Reading a store from C++: the store layer yields framed records, the codec decodes them.
#include <introspect/codec/binary.hpp>
#include <introspect/store/reader.hpp>

// Every record of one instance (scope), decoded; `visit(const ix::record&)` sees each.
template <class Visit>
std::size_t for_each_record(const fs::path& store, std::string_view scope, Visit&& visit) {
  ix::store::reader rd(store);
  std::size_t n = 0;
  for (const auto& info : rd.streams(scope)) {
    auto cursor = rd.open(scope, info.name);
    ix::store::frame_view v;
    while (cursor.next(v)) {
      ix::record r;
      if (!ix::codec::decode(v.text(), r)) continue;  // a foreign payload: skipped
      r.ts_ns = v.ts_ns;
      r.kind = static_cast<ix::record_kind>(v.kind);
      visit(r);
      ++n;
    }
  }
  return n;
}

bool read_store(const fs::path& store) {
  std::size_t counters = 0;
  const auto n = for_each_record(store, "node-1", [&](const ix::record& r) {
    counters += r.kind == ix::record_kind::metric && r.name == "controller.requests";
  });
  std::printf("2. read back %zu records (%zu controller.requests samples)\n", n, counters);
  return counters > 0;
}

// ---------------------------------------------------------------------------------------------
// 3. Insight rules: the medium tier evaluates them online, on the writer thread; the insights
//    are records of kind `insight` beside their evidence. A simulated clock keeps it quick.
#include <atomic>

namespace sim {
std::atomic<std::int64_t> now_ns{1'767'225'600'000'000'000};  // 2026-01-01T00:00:00Z
std::int64_t clock() noexcept { return now_ns.load(); }
}  // namespace sim

std::size_t insight_rules(const fs::path& store) {
  {
    ix::medium_introspection ins{ix::config{.store = store, .instance = "n", .clock = sim::clock}};
    // A segment container that cycles RECOVERING/RUNNING every 2 s for a minute: the default
    // rules' "container-flapping" (12 changes in 5 min) opens an episode.
    for (int s = 0; s < 90; ++s) {
      sim::now_ns += 1'000'000'000;
      ins.state("segmentstore/1/container/3", s % 2 ? "RECOVERING" : "RUNNING");
      ins.flush();
    }
  }
  std::size_t insights = 0;
  ix::store::reader rd(store);
  auto cursor = rd.open("n", ix::to_string(ix::record_kind::insight));
  ix::store::frame_view v;
  while (cursor.next(v)) ++insights;
  std::printf("3. insights: %zu insight records (container-flapping)\n", insights);
  return insights;
}

// ---------------------------------------------------------------------------------------------
// 4. Sources, collected at the cadence on the writer thread. process and host need nothing;
//    kubernetes and etcd need their headers and components (introspect::kubernetes,
//    introspect::http + introspect::simdjson). Each component's options are a member of the
//    type's config. Here the cluster is absent: each source reports itself failing, as a
//    notification, and the product carries on.
#include <introspect/engine/etcd.hpp>
#include <introspect/engine/kubernetes.hpp>

using sourced_build = ix::introspection<
    ix::tier::large, ix::cadence::on_demand, ix::mode::kubernetes,
    ix::sources<ix::source::process, ix::source::host, ix::source::kubernetes, ix::source::etcd>>;

bool each_source(const fs::path& store, const fs::path& dir) {
  sourced_build::config c{.store = store, .instance = "node-1"};
  c.kubernetes.kubeconfig = (dir / "no-such-kubeconfig").string();
  c.kubernetes.namespace_name = "storage";
  c.etcd.endpoint = "http://127.0.0.1:9";  // discard port: nothing listens
  c.etcd.prefixes = {"/product/"};
  sourced_build ins{c};
  ins.collect();  // cadence::on_demand: the product decides when (e.g. its admin endpoint)
  ins.flush();
  std::size_t gauges = 0, failing = 0;
  for_each_record(store, "node-1", [&](const ix::record& r) {
    gauges += r.source == "process" || r.source == "host";
    failing += r.name == "introspect source failing";
  });
  std::printf("4. sources: %zu process/host gauges, %zu 'source failing' notifications\n", gauges,
              failing);
  return gauges > 0;
}

// ---------------------------------------------------------------------------------------------
// 5. The uber tier's tee: every record goes to the local store, and a forwarder thread feeds
//    JetStream from the store's files (link introspect::jetstream). With no server the store
//    still holds everything; the forwarder retries and catches up later.
#include <introspect/sink/jetstream.hpp>

bool uber_tee(const fs::path& store) {
  ix::uber_introspection::config c{
      .store = store, .instance = "node-1", .on_error = ix::ignore_errors};
  c.jetstream.url = "nats://127.0.0.1:9";  // nothing listens: publishing waits, nothing is lost
  c.jetstream.stop_timeout = std::chrono::milliseconds(100);
  ix::uber_introspection ins{c};
  ins.state("container/3", "RUNNING");
  ins.notify(ix::severity::error, "journal write failed", {{"ledger", 17}});
  ins.flush();
  const auto published = ins.engine().sink().second().stats().acked;
  const auto local = for_each_record(store, "node-1", [](const ix::record&) {});
  std::printf("5. uber tee: %zu records in the local store, %ju acknowledged by JetStream\n", local,
              static_cast<std::uintmax_t>(published));
  return local >= 2;
}

// ---------------------------------------------------------------------------------------------
// 6. A build of one's own: which kinds are recorded (the rest compiles to nothing) and how long
//    each kind's stream keeps its records.
using namespace std::chrono_literals;
using custom_build = ix::introspection<
    ix::tier::medium, ix::kinds<ix::kind::state, ix::kind::metric>, ix::sources<>,
    ix::mapping::stream_per_kind<ix::retain<ix::kind::metric, ix::keep_for<24h>>,
                                 ix::retain<ix::kind::state, ix::keep_bytes<(16 << 20)>>>>;
static_assert(custom_build::records<ix::kind::metric>);
static_assert(!custom_build::records<ix::kind::notification>);  // notify() compiles to nothing

bool custom_kinds_and_retention(const fs::path& store) {
  custom_build ins{ix::config{.store = store, .instance = "node-1"}};
  ins.count("requests", 3);
  ins.notify(ix::severity::error, "not recorded by this build");
  ins.flush();
  ix::store::reader rd(store);
  const auto streams = rd.stream_names("node-1");
  std::printf("6. custom build: %zu stream(s):", streams.size());
  for (const auto& s : streams) std::printf(" %s", s.c_str());
  std::printf("\n");
  for (const auto& s : streams)
    if (s == ix::to_string(ix::record_kind::notification)) return false;
  return !streams.empty();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  fs::remove_all(dir);
  fs::create_directories(dir);
  int failed = 0;
  failed += !stream_store_with_counter_handles(dir / "small");
  failed += !read_store(dir / "small");
  failed += insight_rules(dir / "insights") == 0;
  failed += !each_source(dir / "sources", dir);
  failed += !uber_tee(dir / "uber");
  failed += !custom_kinds_and_retention(dir / "custom");
  std::printf("%s\n", failed ? "tour: FAILED" : "tour: ok");
  return failed ? 1 : 0;
}
