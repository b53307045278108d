#pragma once
//! sink::tee<stream_store, jetstream> (the uber default): include this header and link
//! introspect::jetstream. The writer thread fills the local store as for every store tier; a
//! forwarder thread tails the store's files and publishes them to JetStream, so the product
//! never waits on the network and a server outage loses nothing (the forwarder catches up).
#include <memory>
#include <string_view>
#include <type_traits>

#include <introspect/engine/select.hpp>
#include <introspect/engine/store_engine.hpp>
#include <introspect/engine/stream_mapping.hpp>
#include <introspect/jetstream/forwarder.hpp>
#include <introspect/policy/sink.hpp>

namespace introspect::inline v1 {

//! The forwarder attached to a store engine: its thread starts with the engine.
class jetstream_attachment {
 public:
  static constexpr int threads = 1;

  template <class Mapping, class Segment>
  jetstream_attachment(const config& c, std::type_identity<Mapping>, std::type_identity<Segment>) {
    const auto cfg = detail::complete(c);
    jetstream::forwarder_options o;
    o.url = cfg.nats_url;
    o.report_errors = cfg.report_errors;
    // JetStream keeps what the store keeps: each stream's retention becomes its limits.
    o.limits_for = [](std::string_view stream) {
      const auto k = parse_record_kind(stream);
      return jetstream::limits_from(k ? stream_router<Mapping, Segment>::options(*k)
                                      : store::stream_options{});
    };
    fw_ = std::make_unique<jetstream::forwarder>(cfg.store, detail::sanitize_instance(cfg.instance),
                                                 std::move(o));
    fw_->start();
  }

  //! The writer flushed: new records are in the files, no need to wait for the next poll.
  void after_flush() noexcept { fw_->wake(); }
  //! Publishing health: published, acknowledged, resent, errors by cause, lag per stream.
  jetstream::forwarder_stats stats() const { return fw_->stats(); }
  jetstream::forwarder& forwarder() noexcept { return *fw_; }

 private:
  std::unique_ptr<jetstream::forwarder> fw_;  // stopped (cursors saved) when destroyed
};

namespace detail {
template <class Resolved>
struct engine_for<sink::tee<sink::stream_store, sink::jetstream>, Resolved> {
  using type = store_engine<Resolved, store::writer, jetstream_attachment>;
};
}  // namespace detail

}  // namespace introspect::inline v1
