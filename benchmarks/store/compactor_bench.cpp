// The compactor as background work (issue 18 item 4), in one run:
//  1. burst: one thread appends counter samples (docs/payload.md's layout) to a store::writer as
//     fast as it can for S seconds, 64 MiB segments, with the seal codec (its compactor thread at
//     SCHED_IDLE) and, as the peer in the same run, without (seal none: no compactor);
//     the append rate of each and their ratio;
//  2. drain: after the burst, the wall time until the compactor has compacted every sealed
//     segment (the ones its queue took and those a rescan found), and its CPU (schedstat).
//
//  3. --density STORE SCOPE STREAM: that stream's records rewritten into segments of 16 KiB to
//     4 MiB, each sealed and compacted: bytes per record on disk by segment size (what
//     writer_options::close_seal_bytes trades: a restart seals a segment of at least that size).
//
// Usage: compactor_bench [burst seconds, default 2] [rounds, default 3]
//        compactor_bench --density STORE SCOPE STREAM
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <introspect/codec/varint.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

namespace st = introspect::store;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

std::string sample(std::uint64_t i) {
  std::string p{'\1', '\1', '\1', '\0'};
  introspect::codec::put_varint(p, 7);
  p += "product";
  const std::string name = "cache." + std::to_string(i % 50) + ".hits";
  introspect::codec::put_varint(p, name.size());
  p += name;
  p += '\1';
  introspect::codec::put_varint(p, introspect::codec::zigzag(static_cast<std::int64_t>(i / 50)));
  p += '\0';
  return p;
}

// CPU ns of this process's thread named `name` (its schedstat), 0 if none.
double thread_cpu_ms(const std::string& name) {
  for (auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream c(e.path() / "comm");
    std::string comm;
    std::getline(c, comm);
    if (comm != name) continue;
    std::ifstream s(e.path() / "schedstat");
    double ns = 0;
    s >> ns;
    return ns / 1e6;
  }
  return 0;
}

std::uint64_t dir_bytes(const fs::path& dir) {
  std::uint64_t n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".log") n += e.file_size();
  return n;
}

struct row {
  double rate = 0, drain_s = 0, compactor_ms = 0;
  std::uint64_t records = 0, sealed = 0, bytes_raw = 0, bytes_after = 0;
  st::compaction_stats c;
};

row burst(const fs::path& dir, bool compress, double secs) {
  row r;
  fs::remove_all(dir);
  st::writer w(dir, "bench");
  st::stream_options o;
  o.seal = compress ? st::default_seal_codec : st::seal_codec::none;
  auto s = w.stream("metric", o);
  std::vector<std::string> payloads;
  for (std::uint64_t i = 0; i < 5000; ++i) payloads.push_back(sample(i));
  const auto t0 = clk::now();
  std::uint64_t i = 0;
  for (;;) {
    for (int k = 0; k < 4096; ++k, ++i)
      (void)w.append(s, static_cast<std::int64_t>(i) * 1000, 1, payloads[i % payloads.size()]);
    if (std::chrono::duration<double>(clk::now() - t0).count() >= secs) break;
  }
  w.flush();
  const auto t1 = clk::now();
  r.rate = static_cast<double>(i) / std::chrono::duration<double>(t1 - t0).count();
  r.records = i;
  r.sealed = w.stats().rolls;
  r.bytes_raw = w.stats().bytes;
  w.wait_compaction();  // the drain: nothing appended any more
  r.drain_s = std::chrono::duration<double>(clk::now() - t1).count();
  r.compactor_ms = thread_cpu_ms("ix-compactor");
  r.c = w.compaction();
  r.bytes_after = dir_bytes(dir);
  return r;
}

int density(const fs::path& store, const std::string& scope, const std::string& stream) {
  struct rec {
    std::int64_t ts;
    std::uint8_t kind;
    std::string payload;
  };
  std::vector<rec> recs;
  {
    st::reader r(store);
    auto c = r.open(scope, stream);
    st::frame_view v;
    while (c.next(v)) recs.push_back({v.ts_ns, v.kind, std::string(v.text())});
  }
  std::uint64_t raw = 0;
  for (auto& r : recs) raw += r.payload.size() + st::detail::frame_header_size;
  std::printf("%zu records, %.1f B/record raw\n| segment bytes | B/record on disk |\n|---|---|\n",
              recs.size(), static_cast<double>(raw) / static_cast<double>(recs.size()));
  const fs::path dir =
      fs::temp_directory_path() / ("compactor_density." + std::to_string(getpid()));
  for (std::uint64_t seg : {16u << 10, 64u << 10, 256u << 10, 1u << 20, 4u << 20}) {
    fs::remove_all(dir);
    {
      st::writer w(dir, "d");
      st::stream_options o;
      o.segment_bytes = seg;
      auto s = w.stream("s", o);
      for (auto& r : recs) (void)w.append(s, r.ts, r.kind, r.payload);
      w.flush();
      w.wait_compaction();
    }  // the close seals the last one (>= 64 KiB) and waits for its compaction
    std::printf("| %llu KiB | %.2f |\n", static_cast<unsigned long long>(seg >> 10),
                static_cast<double>(dir_bytes(dir)) / static_cast<double>(recs.size()));
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--density") return density(argv[2], argv[3], argv[4]);
  const double secs = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  const fs::path dir = fs::temp_directory_path() / ("compactor_bench." + std::to_string(getpid()));
  std::printf(
      "| round | seal | appends/s | ratio to none | sealed | queued+rescanned | compacted "
      "| drain s | compactor CPU ms | priority | B/record on disk |\n|---|---|---|---|---|---|"
      "---|---|---|---|---|\n");
  for (int k = 0; k < rounds; ++k) {
    const auto none = burst(dir, false, secs);
    const auto z = burst(dir, true, secs);
    for (const auto* r : {&none, &z})
      std::printf(
          "| %d | %s | %.2f M | %.2f | %llu | %llu+%llu | %llu | %.2f | %.0f | %s | %.2f |\n", k,
          r == &none ? "none" : "columns+zstd", r->rate / 1e6, r->rate / none.rate,
          static_cast<unsigned long long>(r->sealed), static_cast<unsigned long long>(r->c.queued),
          static_cast<unsigned long long>(r->c.rescanned),
          static_cast<unsigned long long>(r->c.compacted), r->drain_s, r->compactor_ms,
          r->c.priority.empty() ? "-" : r->c.priority.c_str(),
          static_cast<double>(r->bytes_after) / static_cast<double>(r->records));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::FILE* la = std::fopen("/proc/loadavg", "r");
  char buf[128] = {};
  if (la && std::fgets(buf, sizeof buf, la)) std::printf("loadavg: %s", buf);
  if (la) std::fclose(la);
}
