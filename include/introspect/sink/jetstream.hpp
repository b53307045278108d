#pragma once
//! sink::jetstream, behind the store: `tee<sink::stream_store, sink::jetstream>` (the uber
//! default). Include this header and link introspect::jetstream. The writer thread fills the
//! local store as for every store tier; the JetStream sink's forwarder thread tails the store's
//! files and publishes them, so the product never waits on the network and a server outage
//! loses nothing (the forwarder catches up). Its options are the config's `jetstream` member:
//! @code
//! uber_introspection::config c{.store = "/var/lib/product/introspection"};
//! c.jetstream.url = "nats://10.0.0.5:4222";
//! @endcode
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include <introspect/core/config.hpp>
#include <introspect/core/error_handler.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/engine/stream_mapping.hpp>
#include <introspect/jetstream/forwarder.hpp>
#include <introspect/policy/options.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/sink/concept.hpp>
#include <introspect/sink/null.hpp>
#include <introspect/sink/stream_store.hpp>
#include <introspect/sink/tee.hpp>

namespace introspect::inline v1 {

//! sink::jetstream is configured by `config.jetstream` (the forwarder's options: url,
//! credentials, replicas, timeouts); `limits_for` defaults to each stream's retention.
template <>
struct component_options<sink::jetstream> {
  using type = jetstream::forwarder_options;
};

//! The JetStream sink: a forwarder whose thread starts with the engine. It takes no record
//! from the engine: it reads what the store sink before it wrote, and a flush wakes it.
template <class Resolved>
class jetstream_sink {
  using mapping = typename Resolved::mapping;
  using segment = typename Resolved::segment;

 public:
  using input = framed_record;
  static constexpr int threads = 1;

  template <class Config>
  explicit jetstream_sink(const Config& c) {
    jetstream::forwarder_options o = c.jetstream;
    // Failures go where the instance's go (config::on_error, else set_error_handler()), unless
    // the JetStream options name their own receiver.
    if (!o.on_error)
      o.on_error = [h = c.on_error](jetstream::error_cause, std::string_view msg) {
        if (msg.starts_with("introspect: ")) msg.remove_prefix(12);
        detail::report_error(h, "%.*s", static_cast<int>(msg.size()), msg.data());
      };
    // JetStream keeps what the store keeps: each stream's retention becomes its limits.
    if (!o.limits_for)
      o.limits_for = [](std::string_view stream) {
        const auto k = parse_record_kind(stream);
        return jetstream::limits_from(k ? stream_router<mapping, segment>::options(*k)
                                        : store::stream_options{});
      };
    fw_ = std::make_unique<jetstream::forwarder>(c.store, detail::sanitize_instance(c.instance),
                                                 std::move(o));
    fw_->start();
  }

  //! Records reach JetStream through the store's files, never from the engine's hand.
  void append(const framed_record&) noexcept {}
  //! The store flushed: new records are in the files, no need to wait for the next poll.
  bool flush(std::int64_t) noexcept {
    fw_->wake();
    return false;
  }
  bool tick(std::int64_t t) noexcept { return flush(t); }
  //! Publishing health: published, acknowledged, resent, errors by cause, lag per stream.
  jetstream::forwarder_stats stats() const { return fw_->stats(); }
  jetstream::forwarder& forwarder() noexcept { return *fw_; }

 private:
  std::unique_ptr<jetstream::forwarder> fw_;  // stopped (cursors saved) when destroyed
};

namespace detail {
// Holds the JetStream sink as a base listed before the store: made first, destroyed last, so
// the forwarder outlives the store's last writes (it publishes them when it stops).
template <class Resolved>
struct jetstream_holder {
  template <class Config>
  explicit jetstream_holder(const Config& c) : js_(c) {}
  jetstream_sink<Resolved> js_;
};
}  // namespace detail

//! tee<A, sink::jetstream>: JetStream only behind the store. A writes; the JetStream sink is
//! woken only when A's flush or tick put bytes in the files.
template <class A, class Resolved>
class tee_sink<A, jetstream_sink<Resolved>> : private detail::jetstream_holder<Resolved>,
                                              public tee_sink<A, null_sink> {
  static_assert(is_store_sink_v<A>,
                "sink::tee<A, sink::jetstream>: JetStream is fed from the local store; A must "
                "be sink::stream_store (tee<sink::stream_store, sink::jetstream>)");
  using holder = detail::jetstream_holder<Resolved>;
  using base = tee_sink<A, null_sink>;

 public:
  static constexpr int threads = A::threads + jetstream_sink<Resolved>::threads;

  template <class Config, class... Args>
  explicit tee_sink(const Config& c, Args&&... args)
      : holder(c), base(c, std::forward<Args>(args)...) {}

  bool flush(std::int64_t t) {
    if (!this->first().flush(t)) return false;
    this->js_.flush(t);
    return true;
  }
  bool tick(std::int64_t t) {
    if (!this->first().tick(t)) return false;
    this->js_.tick(t);
    return true;
  }
  jetstream_sink<Resolved>& second() noexcept { return this->js_; }
};

//! tee<sink::jetstream, B>: refused (the local store is the source of truth).
template <class Resolved, class B>
class tee_sink<jetstream_sink<Resolved>, B> {
  static_assert(std::is_void_v<B> && !std::is_void_v<B>,
                "sink::tee<sink::jetstream, B>: JetStream is fed from the local store; write "
                "tee<sink::stream_store, sink::jetstream>");
};

namespace detail {
template <class Resolved>
struct sink_for<sink::jetstream, Resolved> {
  using type = jetstream_sink<Resolved>;
};
}  // namespace detail

}  // namespace introspect::inline v1
