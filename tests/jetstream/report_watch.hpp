#pragma once
// Waiting for a forwarder's progress report without asking JetStream while the forwarder may be
// creating the report stream. nats-server 2.9.10 (Debian 12) panics — and the whole server
// exits — when a STREAM.MSG.GET for a stream arrives while that stream is being created (a nil
// store in jsMsgGetRequest, jetstream_api.go:3028); a test that polls `fetcher::progress()`
// while the forwarder starts hits it about once in a few dozen runs under ASan. A plain NATS
// subscription to the report subject never reaches the JetStream API: the reports are seen as
// they are published, and published only once their stream exists.
#include <nats/nats.h>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <introspect/jetstream/progress.hpp>

namespace js_test {

//! A core-NATS subscription to one scope's progress reports; subscribe before the forwarder
//! starts, so that none is missed.
class report_watch {
 public:
  report_watch(const std::string& url, std::string_view scope) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) != NATS_OK)
      throw std::runtime_error("report_watch: cannot connect to " + url);
    const auto subject = introspect::jetstream::progress_subject(scope);
    if (natsConnection_SubscribeSync(&sub_, nc_, subject.c_str()) != NATS_OK ||
        natsConnection_Flush(nc_) != NATS_OK)
      throw std::runtime_error("report_watch: cannot subscribe to " + subject);
  }
  report_watch(const report_watch&) = delete;
  report_watch& operator=(const report_watch&) = delete;
  ~report_watch() {
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }

  //! The first report, within `timeout`, for which `want` holds; `last` describes the last one
  //! seen (or why none was).
  std::optional<introspect::jetstream::scope_progress> wait_for(
      const std::function<bool(const introspect::jetstream::scope_progress&)>& want,
      std::chrono::milliseconds timeout, std::string& last) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    last = "no report seen";
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      natsMsg* m = nullptr;
      const auto st = natsSubscription_NextMsg(&m, sub_, left.count());
      if (st == NATS_TIMEOUT) return std::nullopt;
      if (st != NATS_OK) {
        last = std::string("subscription failed: ") + natsStatus_GetText(st);
        return std::nullopt;
      }
      const auto p = introspect::jetstream::decode_progress(
          std::string_view(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))));
      natsMsg_Destroy(m);
      if (!p) {
        last = "a report that does not decode";
        continue;
      }
      last.clear();
      for (const auto& s : p->streams)
        last += s.stream + ": acked " + std::to_string(s.acked_offset) + " end " +
                std::to_string(s.store_end) + "; ";
      if (want(*p)) return p;
    }
  }

 private:
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

}  // namespace js_test
