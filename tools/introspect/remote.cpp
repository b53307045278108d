// The federated store (JetStream); built only when introspect::jetstream exists.
#include "remote.hpp"

#include <chrono>
#include <cstdio>

#include <introspect/core/glob.hpp>
#include <introspect/jetstream/federation.hpp>
#include <introspect/jetstream/live_reader.hpp>
#include <introspect/query/read/jetstream_store.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

// An instance that reports no progress for this long while running is said to be silent: three
// heartbeats (forwarder_options::progress_interval, 5 s) missed.
constexpr std::chrono::milliseconds silent_after{15'000};

// A federated answer holds what JetStream held when it was read; each instance whose forwarder
// reported more in its store than that is named on stderr with its lag, so a short answer is
// never a silent one (docs/jetstream.md, "What a federated query guarantees").
void warn_if_behind(const introspect::jetstream::fetch_options& o, const std::string& url) {
  namespace js = introspect::jetstream;
  try {
    js::fetcher f(o);
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const auto& w :
         js::federation_warnings(js::federation_status(f, f.streams("*")), url, now, silent_after))
      std::fprintf(stderr, "%s\n", w.c_str());
  } catch (const js::error& e) {
    std::fprintf(stderr,
                 "introspect: %s: cannot tell whether the instances are behind in JetStream: %s\n",
                 ix::terminal_safe(url).c_str(), ix::terminal_safe(e.what()).c_str());
  }
}

}  // namespace

std::unique_ptr<qread::store_reader> open_nats_store(const std::string& url) {
  introspect::jetstream::fetch_options o;
  o.url = url;
  std::unique_ptr<qread::store_reader> store;
  try {
    store = std::make_unique<qread::jetstream_store>(o);
  } catch (const introspect::jetstream::error& e) {
    throw usage_error{"STORE \"" + url + "\": cannot read JetStream: " + e.what()};
  }
  warn_if_behind(o, url);
  return store;
}

std::map<std::pair<std::string, std::string>, std::uint64_t> nats_stream_lags(
    const qread::store_reader& store) {
  namespace js = introspect::jetstream;
  std::map<std::pair<std::string, std::string>, std::uint64_t> out;
  const auto* jss = dynamic_cast<const qread::jetstream_store*>(&store);
  if (!jss) return out;
  try {
    js::fetcher f(jss->options());
    const auto streams = f.streams("*");
    const auto st = js::federation_status(f, streams);
    for (const auto& rs : streams)
      if (auto lag = js::stream_lag_bytes(st, rs.scope, rs.stream))
        out[{rs.scope, rs.stream}] = *lag;
  } catch (const js::error&) {
    // open_nats_store() already said whether the instances can be told behind.
  }
  return out;
}

namespace {

// The streams of a JetStream store, followed with one ordered consumer each; the same stream
// and scope globs, kind hint and filter as the local followers.
class nats_follower final : public follower {
 public:
  nats_follower(const qread::jetstream_store& s, const qexpr::record_filter& f,
                const filter_args& fa, qread::damage_log& log)
      : filter_(f), log_(log), url_(ix::jetstream::redact_url(s.options().url)) {
    const auto hint = f.hint();
    auto want = [glob = fa.stream, scope_glob = fa.scope,
                 hint](const ix::jetstream::remote_stream& rs) {
      if (!glob.empty() && !ix::glob_match(glob, rs.stream) && !ix::glob_match(glob, rs.scope))
        return false;
      if (!scope_glob.empty() && !ix::glob_match(scope_glob, rs.scope)) return false;
      return qread::stream_may_hold(rs.stream, hint);
    };
    try {
      reader_ = std::make_unique<ix::jetstream::live_reader>(s.options(), std::move(want));
    } catch (const ix::jetstream::error& e) {
      throw usage_error{"STORE \"" + url_ + "\": cannot follow JetStream: " + e.what()};
    }
  }
  void start(std::vector<ix::record>& out) override { poll(out); }
  void poll(std::vector<ix::record>& out) override {
    reader_->poll([&](ix::jetstream::fetched_record& fr) {
      if (filter_.matches(fr.rec)) out.push_back(std::move(fr.rec));
    });
    if (const auto bad = reader_->undecodable(); bad != reported_bad_) {
      log_.report(url_, 0, 0,
                  std::to_string(bad - reported_bad_) + " messages do not decode (skipped)");
      reported_bad_ = bad;
    }
    // A server that went away is said once, and again when the cause changes; following
    // resumes by itself when it is back.
    if (reader_->last_error() != reported_error_) {
      reported_error_ = reader_->last_error();
      if (!reported_error_.empty())
        std::fprintf(stderr, "introspect: tail --follow %s: %s (retrying)\n", url_.c_str(),
                     reported_error_.c_str());
    }
  }

 private:
  const qexpr::record_filter& filter_;
  qread::damage_log& log_;
  std::string url_;
  std::unique_ptr<ix::jetstream::live_reader> reader_;
  std::uint64_t reported_bad_ = 0;
  std::string reported_error_;
};

}  // namespace

std::unique_ptr<follower> make_nats_follower(const qread::store_reader& store,
                                             const qexpr::record_filter& f, const filter_args& fa,
                                             qread::damage_log& log) {
  const auto* js = dynamic_cast<const qread::jetstream_store*>(&store);
  if (!js) throw usage_error{"--follow: not a JetStream store"};
  return std::make_unique<nats_follower>(*js, f, fa, log);
}

}  // namespace ixcli
