// Side by side in one run, against one local nats-server started here:
//  1. raw js_PublishAsync of N payloads (bounded in flight, no headers)
//  2. raw js_PublishMsgAsync of the same payloads with the forwarder's headers (Msg-Id, Ix)
//  3. the forwarder publishing the same N records from a stream store
//  4. catch-up: the server is down while M records are written, then restarted
//  5. the product's append latency with the server up and with it down
// Usage: jetstream_bench [N=200000] [M=1000000] [ROUNDS=5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <introspect/jetstream/jetstream.hpp>

#include "server.hpp"
#include "util.hpp"

namespace js = introspect::jetstream;
namespace st = introspect::store;
using clk = std::chrono::steady_clock;

namespace {

double secs(clk::duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<std::string> payloads(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  std::string buf, name;
  for (std::size_t i = 0; i < n; ++i) {
    name = "m" + std::to_string(i);
    introspect::record_view r;
    r.kind = introspect::record_kind::metric;
    r.source = "bench";
    r.name = name;
    r.val = static_cast<std::int64_t>(i);
    buf.clear();
    introspect::codec::encode(r, buf);
    out.push_back(buf);
  }
  return out;
}

void add_stream(jsCtx* jc, const char* name, const char* subject) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subs[] = {subject};
  cfg.Name = name;
  cfg.Subjects = subs;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Duplicates = std::chrono::nanoseconds(std::chrono::minutes(2)).count();
  jsStreamInfo* si = nullptr;
  if (js_AddStream(&si, jc, &cfg, nullptr, nullptr) == NATS_OK) jsStreamInfo_Destroy(si);
}

// Raw async publishing from this process, MaxPending like the forwarder's default.
double raw_rate(const std::string& url, const std::vector<std::string>& pl, bool headers,
                int round) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) std::exit(1);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jsCtx* jc = nullptr;
  natsConnection_JetStream(&jc, nc, &jo);
  const std::string name_s = (headers ? "RAWH" : "RAW") + std::to_string(round);
  const std::string subj_s = (headers ? "rawh.x" : "raw.x") + std::to_string(round);
  const char* subj = subj_s.c_str();
  add_stream(jc, name_s.c_str(), subj);
  const auto t0 = clk::now();
  char num[48];
  for (std::size_t i = 0; i < pl.size(); ++i) {
    if (!headers) {
      while (js_PublishAsync(jc, subj, pl[i].data(), static_cast<int>(pl[i].size()), nullptr) !=
             NATS_OK) {
      }
      continue;
    }
    natsMsg* m = nullptr;
    natsMsg_Create(&m, subj, nullptr, pl[i].data(), static_cast<int>(pl[i].size()));
    std::string id = "bench/raw/" + std::to_string(i * 60);
    natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
    js::format_ix(num, {1'700'000'000'000'000'000 + static_cast<std::int64_t>(i), 2, 0});
    natsMsgHeader_Set(m, js::header::ix, num);
    while (js_PublishMsgAsync(jc, &m, nullptr) != NATS_OK) {
    }
    natsMsg_Destroy(m);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  js_PublishAsyncComplete(jc, &po);
  const double t = secs(clk::now() - t0);
  jsCtx_Destroy(jc);
  natsConnection_Destroy(nc);
  return static_cast<double>(pl.size()) / t;
}

void write_payloads(st::writer& w, st::stream_id id, const std::vector<std::string>& pl) {
  std::int64_t ts = 1'700'000'000'000'000'000;
  for (auto& p : pl) w.append(id, ts++, 2, std::string_view(p));
  w.flush();
}

// Seconds until the forwarder has every record acknowledged (polled every millisecond).
double until_acked(js::forwarder& fw, std::uint64_t n) {
  const auto t0 = clk::now();
  while (fw.stats().acked < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return secs(clk::now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 200'000;
  const std::size_t m = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  js_test::temp_dir tmp("js-bench");
  js_test::nats_server srv(js_test::nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto pl = payloads(std::max(n, m));
  const std::vector<std::string> pn(pl.begin(), pl.begin() + static_cast<std::ptrdiff_t>(n));
  std::printf("records: %zu (payload %zu bytes), catch-up records: %zu\n", n, pl[0].size(), m);

  // The machine is shared, so the three are interleaved over several rounds and the medians
  // compared: a burst of load elsewhere then hits all three alike.
  const int rounds = argc > 3 ? std::stoi(argv[3]) : 5;
  const auto root = tmp.path() / "store";
  std::vector<double> raw, rawh, fwd;
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(raw_rate(srv.url(), pn, false, r));
    rawh.push_back(raw_rate(srv.url(), pn, true, r));
    const std::string scope = "bench" + std::to_string(r);
    st::writer w(root, scope);
    write_payloads(w, w.stream("metric"), pn);
    js::forwarder_options o;
    o.url = srv.url();
    js::forwarder fw(root, scope, o);
    const auto t0 = clk::now();
    fw.start();
    until_acked(fw, n);
    fwd.push_back(static_cast<double>(n) / secs(clk::now() - t0));
    std::printf("round %d: raw %.0f  raw+headers %.0f  forwarder %.0f msg/s\n", r, raw.back(),
                rawh.back(), fwd.back());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double mraw = median(raw), mrawh = median(rawh), mfwd = median(fwd);
  std::printf("%-46s %12.0f msg/s (median of %d)\n", "raw js_PublishAsync, no headers", mraw,
              rounds);
  std::printf("%-46s %12.0f msg/s\n", "raw js_PublishMsgAsync, forwarder's headers", mrawh);
  std::printf("%-46s %12.0f msg/s  (%.0f %% of raw, %.0f %% of raw+headers)\n",
              "forwarder (store -> JetStream)", mfwd, 100 * mfwd / mraw, 100 * mfwd / mrawh);

  // Catch-up: the server is down while the product writes m records, then comes back.
  {
    st::writer w(root, "catchup");
    auto id = w.stream("metric");
    write_payloads(w, id, {pl.begin(), pl.begin() + 1000});
    js::forwarder_options o;
    o.url = srv.url();
    o.report_errors = false;
    js::forwarder fw(root, "catchup", o);
    fw.start();
    until_acked(fw, 1000);
    srv.kill();
    const std::vector<std::string> pm(pl.begin(), pl.begin() + static_cast<std::ptrdiff_t>(m));
    // Product call latency: appends with the server down (forwarder retrying in the background).
    auto t0 = clk::now();
    write_payloads(w, id, pm);
    const double down_ns = 1e9 * secs(clk::now() - t0) / static_cast<double>(m);
    t0 = clk::now();
    srv.start();
    const double t = until_acked(fw, 1000 + m) + 0 * secs(clk::now() - t0);
    std::printf("%-46s %12.2f s  %10.0f msg/s  (%zu records, from server restart)\n",
                "catch-up after outage", t, static_cast<double>(m) / t, m);
    // Same appends with the server up and the forwarder busy publishing them.
    t0 = clk::now();
    write_payloads(w, id, {pl.begin(), pl.begin() + static_cast<std::ptrdiff_t>(n)});
    const double up_ns = 1e9 * secs(clk::now() - t0) / static_cast<double>(n);
    until_acked(fw, 1000 + m + n);
    std::printf("%-46s %9.1f ns down  %9.1f ns up\n", "product append latency (store::writer)",
                down_ns, up_ns);
    auto s = fw.stats();
    std::printf("forwarder: published %llu acked %llu resent %llu duplicates %llu errors %llu\n",
                static_cast<unsigned long long>(s.published),
                static_cast<unsigned long long>(s.acked), static_cast<unsigned long long>(s.resent),
                static_cast<unsigned long long>(s.duplicates),
                static_cast<unsigned long long>(s.total_errors()));
  }
  return 0;
}
