#pragma once
//! The federated store: every instance's streams read back from NATS JetStream (what the uber
//! tier's forwarders published; needs introspect::jetstream). Each scope is one instance; its
//! streams merge into one time-ordered view exactly as a local stream store's do.
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <introspect/jetstream/fetch.hpp>
#include <introspect/query/read/stream_store.hpp>

namespace introspect::inline v1::query::read {

//! JetStream as a store_reader; connecting throws jetstream::error with the reason.
class jetstream_store final : public store_reader {
 public:
  explicit jetstream_store(jetstream::fetch_options o)
      : opts_(o), url_(o.url), fetcher_(std::make_unique<jetstream::fetcher>(std::move(o))) {
    remote_ = fetcher_->streams("*");
  }

  std::string_view format() const noexcept override { return "jetstream"; }
  //! Where and how it reads (for a live_reader that follows the same server).
  const jetstream::fetch_options& options() const noexcept { return opts_; }

  std::vector<stream_desc> streams() const override {
    std::vector<stream_desc> out;
    for (const auto& rs : remote_) {
      stream_desc d;
      d.scope = rs.scope;
      d.name = rs.stream;
      d.path = url_ + "/" + rs.js_name;
      d.bytes = rs.bytes;
      out.push_back(std::move(d));
    }
    return out;
  }

  //! Reads the selected streams (whole: JetStream has no time index) into memory and merges
  //! them per instance; per-kind streams of kinds not wanted are not read.
  std::unique_ptr<record_cursor> open(const std::vector<stream_desc>& selected,
                                      const read_hint& hint, damage_log& log) const override {
    std::map<std::string, std::vector<std::unique_ptr<record_cursor>>> per_scope;
    // Neighbours can be slightly out of order: keep a margin, the query filters exactly.
    const auto since = hint.since_ns < std::numeric_limits<std::int64_t>::min() + slack_ns
                           ? hint.since_ns
                           : hint.since_ns - slack_ns;
    for (const auto& d : selected) {
      if (!stream_may_hold(d.name, hint)) continue;
      const jetstream::remote_stream* rs = nullptr;
      for (const auto& r : remote_)
        if (r.scope == d.scope && r.stream == d.name) rs = &r;
      if (!rs) continue;
      std::vector<record> recs;
      const auto bad_before = fetcher_->undecodable();
      fetcher_->read(*rs, [&](jetstream::fetched_record& f) {
        if (f.rec.ts_ns >= since) recs.push_back(std::move(f.rec));
      });
      if (const auto bad = fetcher_->undecodable() - bad_before)
        log.report(d.path, 0, 0, std::to_string(bad) + " messages do not decode (skipped)");
      per_scope[d.scope].push_back(std::make_unique<vector_cursor>(std::move(recs)));
    }
    std::vector<std::unique_ptr<record_cursor>> views;
    for (auto& [scope, streams] : per_scope) views.push_back(instance_view(std::move(streams)));
    if (views.empty()) return std::make_unique<vector_cursor>(std::vector<record>{});
    return merge_all(std::move(views));
  }

 private:
  static constexpr std::int64_t slack_ns = 1'000'000'000;
  jetstream::fetch_options opts_;
  std::string url_;
  std::unique_ptr<jetstream::fetcher> fetcher_;  // reading is not const, the view is
  std::vector<jetstream::remote_stream> remote_;
};

}  // namespace introspect::inline v1::query::read
