// Benchmark (not a test): how long the etcd source takes to snapshot 20 000 keys from a real
// etcd started here, with TCP_NODELAY on the gateway connection (the default) and without.
// Each round alternates the two in the same process; figures go to docs/benchmarks.md.
//
//   etcd_bench_snapshot [KEYS=20000] [ROUNDS=5] [VALUE_BYTES=100]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <introspect/source/etcd/etcd_source.hpp>

#include "etcd_server.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// Milliseconds from start() until the snapshot's end marker is collected.
double snapshot_ms(const std::string& url, bool nodelay) {
  introspect::etcd::options o;
  o.endpoint = url;
  o.prefixes = {"/bench/"};
  o.watch = false;
  o.snapshot_interval = std::chrono::hours{1};
  o.tcp_nodelay = nodelay;
  introspect::source::etcd_source src{o};
  const auto t0 = clock_type::now();
  src.start();
  bool done = false;
  while (!done && clock_type::now() - t0 < std::chrono::seconds(60)) {
    src.collect([&](const introspect::record_view& r) {
      if (r.name == introspect::etcd::snapshot_marker &&
          r.val.type() == introspect::value_type::string && r.val.as_string() == "end")
        done = true;
    });
    if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const auto t1 = clock_type::now();
  src.stop();
  if (!done) {
    std::fprintf(stderr, "snapshot did not finish: %s\n", src.status().last_error.c_str());
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int keys = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int value_bytes = argc > 3 ? std::atoi(argv[3]) : 100;
  etcd_test::server s;
  s.start();
  // 100 puts per transaction (etcd's default --max-txn-ops is 128).
  const std::string value(static_cast<std::size_t>(value_bytes), 'v');
  for (int i = 0; i < keys;) {
    std::string body = "{\"success\":[";
    for (int k = 0; k < 100 && i < keys; ++k, ++i) {
      if (k) body += ',';
      char key[32];
      std::snprintf(key, sizeof key, "/bench/%08d", i);
      body += "{\"requestPut\":{\"key\":\"" + etcd_test::server::b64(key) + "\",\"value\":\"" +
              etcd_test::server::b64(value) + "\"}}";
    }
    body += "]}";
    const auto r = s.post("/v3/kv/txn", body);
    if (r.status != 200) {
      std::fprintf(stderr, "txn failed: %s\n", r.body.c_str());
      return 1;
    }
  }
  std::vector<double> on, off;
  for (int r = 0; r < rounds; ++r) {
    on.push_back(snapshot_ms(s.url(), true));
    off.push_back(snapshot_ms(s.url(), false));
  }
  std::sort(on.begin(), on.end());
  std::sort(off.begin(), off.end());
  const auto med = [](const std::vector<double>& v) { return v[v.size() / 2]; };
  std::printf("keys %d, value %d B, page 1000, %d rounds\n", keys, value_bytes, rounds);
  std::printf("TCP_NODELAY on : min %.1f ms, median %.1f ms, max %.1f ms\n", on.front(), med(on),
              on.back());
  std::printf("TCP_NODELAY off: min %.1f ms, median %.1f ms, max %.1f ms\n", off.front(), med(off),
              off.back());
  std::printf("ratio off/on (median): %.2f\n", med(off) / med(on));
  return 0;
}
