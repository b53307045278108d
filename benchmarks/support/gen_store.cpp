// Writes a synthetic stream store for the support benchmarks (benchmarks/support/run.sh):
// INSTANCES scopes, a stream per kind, one sample per second of SERIES metrics per instance
// (gauges, cumulative counters, cumulative histogram snapshots with bucket counts, as the
// metric registry writes them), a state change every 10 s, a notification every 5 s and a
// Kubernetes-like snapshot every 60 s, until RECORDS records are written. Deterministic.
// SEAL is how sealed segments are stored: `none` (the frame log as written, the default: the
// store of the figures in docs/benchmarks.md is 1.11 GB of frames), `columns` or `zstd`
// (columns then zstd, in a build with introspect::zstd): format 1.2's compressed segments.
//
//   support_gen_store DIR RECORDS [INSTANCES=3] [SERIES=200] [SEAL=none]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/codec/binary.hpp>
#include <introspect/metrics/bucket_text.hpp>
#include <introspect/store/writer.hpp>

namespace ix = introspect;
namespace st = introspect::store;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: support_gen_store DIR RECORDS [INSTANCES=3] [SERIES=200] "
                 "[SEAL=none|columns|zstd]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const auto total = std::strtoull(argv[2], nullptr, 10);
  const int instances = argc > 3 ? std::atoi(argv[3]) : 3;
  const int series = argc > 4 ? std::atoi(argv[4]) : 200;
  const std::string seal = argc > 5 ? argv[5] : "none";
  std::vector<std::unique_ptr<st::writer>> ws;
  st::writer_options wo;
  wo.durability = st::durability::none();
  st::stream_options so;
  if (seal == "none")
    so.seal = st::seal_codec::none;
  else if (seal == "columns")
    so.seal = st::seal_codec::columns;
  else if (seal == "zstd")
    so.seal = st::seal_codec::columns_zstd;
  else {
    std::fprintf(stderr, "support_gen_store: SEAL %s: use none, columns or zstd\n", seal.c_str());
    return 2;
  }
  for (int i = 0; i < instances; ++i)
    ws.push_back(std::make_unique<st::writer>(dir, fmt::format("node-{}", i), wo));
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 1);
  const std::int64_t t0 = 1'767'225'600LL * 1'000'000'000;  // 2026-01-01T00:00:00Z
  std::uint64_t written = 0;
  std::vector<double> counters(static_cast<std::size_t>(instances * series), 0);
  std::vector<std::vector<std::uint64_t>> hist(static_cast<std::size_t>(instances * series),
                                               std::vector<std::uint64_t>(16, 0));
  std::string payload, buckets;
  std::vector<ix::field_view> fv;
  std::vector<std::string> names;
  for (int j = 0; j < series; ++j)
    names.push_back(j % 10 < 6   ? fmt::format("segmentstore.{}.cache.bytes", j)
                    : j % 10 < 9 ? fmt::format("controller.{}.requests", j)
                                 : fmt::format("bookkeeper.{}.write.latency_us", j));
  auto put = [&](int inst, const ix::record& r) {
    payload.clear();
    ix::codec::encode(ix::view_of(r, fv), payload);
    auto& w = *ws[static_cast<std::size_t>(inst)];
    w.append(w.stream(ix::to_string(r.kind), so), r.ts_ns, static_cast<std::uint8_t>(r.kind),
             payload);
    ++written;
  };
  for (std::int64_t sec = 0; written < total; ++sec) {
    const std::int64_t ts = t0 + sec * 1'000'000'000;
    for (int i = 0; i < instances && written < total; ++i) {
      for (int j = 0; j < series && written < total; ++j) {
        const auto k = static_cast<std::size_t>(i * series + j);
        ix::record r;
        r.ts_ns = ts + j * 1000;
        r.kind = ix::record_kind::metric;
        r.source = "product";
        r.name = names[static_cast<std::size_t>(j)];
        if (j % 10 < 6) {
          r.mtype = ix::metric_type::gauge;
          r.val = 1e6 * (1 + j % 7) + 1e5 * std::sin(static_cast<double>(sec) / 300.0 + j) +
                  1e3 * noise(rng);
        } else if (j % 10 < 9) {
          r.mtype = ix::metric_type::counter;
          counters[k] += 50 + 10 * std::abs(noise(rng));
          r.val = static_cast<std::int64_t>(counters[k]);
        } else {
          r.mtype = ix::metric_type::histogram;
          auto& h = hist[k];
          for (int n = 0; n < 20; ++n)
            ++h[static_cast<std::size_t>(std::min(15.0, std::abs(noise(rng)) * 4))];
          std::uint64_t count = 0;
          buckets.assign(ix::metrics::bucket_text_layout);
          for (std::size_t b = 0; b < h.size(); ++b) {
            count += h[b];
            if (h[b]) buckets += fmt::format(" {}:{}", 100 + b * 8, h[b]);
          }
          r.val = static_cast<std::int64_t>(count);
          r.fields = {{"count", static_cast<std::int64_t>(count)},
                      {"sum", static_cast<double>(count) * 180.0},
                      {"p50", 150.0},
                      {"p90", 400.0},
                      {"p99", 900.0},
                      {"buckets", buckets}};
        }
        put(i, r);
      }
      if (sec % 10 == i && written < total) {
        ix::record r;
        r.ts_ns = ts + 500'000'000;
        r.kind = ix::record_kind::state;
        r.source = "product";
        r.name = fmt::format("segmentstore/{}/container/{}", i, sec % 12);
        r.val = std::string{sec % 30 == i ? "RECOVERING" : "RUNNING"};
        put(i, r);
      }
      if (sec % 5 == 0 && written < total) {
        ix::record r;
        r.ts_ns = ts + 700'000'000;
        r.kind = ix::record_kind::notification;
        r.sev = sec % 60 == 0 ? ix::severity::error : ix::severity::warning;
        r.source = "product";
        r.name = "slow journal write";
        r.fields = {{"disk", std::string{"sdb"}},
                    {"latency_us", static_cast<std::int64_t>(1000 + sec % 97)}};
        put(i, r);
      }
      if (sec % 60 == 0 && written < total) {
        ix::record r;
        r.ts_ns = ts + 800'000'000;
        r.kind = ix::record_kind::snapshot;
        r.source = "kubernetes";
        r.name = fmt::format("kubernetes/pods/prod/api-{}", i);
        r.val = fmt::format(
            R"({{"kind":"Pod","metadata":{{"name":"api-{}"}},"spec":{{"containers":[{{"name":"api","env":[{{"name":"API_TOKEN","value":"tok-{}"}},{{"name":"MODE","value":"fast"}}]}}]}}}})",
            i, sec);
        r.fields = {{"kind", std::string{"Pod"}}, {"namespace", std::string{"prod"}}};
        put(i, r);
      }
    }
  }
  for (auto& w : ws) w->flush(), w->wait_compaction();
  std::printf("%llu records\n", static_cast<unsigned long long>(written));
  return 0;
}
