#pragma once
//! jetstream::connection: the forwarder's libnats handles (connection + JetStream context), the
//! callback link libnats' threads call through, and the connected/closed state those callbacks
//! change. libnats delivers connection events and publish acknowledgments on its own threads, and
//! may do so after the connection was closed and destroyed: every callback goes through a
//! detail::callback_link that outlives the connection, so a late one finds no owner and does
//! nothing, and an event of a connection already dropped is ignored.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <introspect/jetstream/detail/callback_link.hpp>
#include <introspect/jetstream/detail/nats.hpp>

namespace introspect::inline v1::jetstream {

//! Receives a connection's callbacks, on libnats threads, under the callback link's lock (so
//! never after connection::detach() returned).
class connection_listener {
 public:
  //! A connection event: the link went down, came back, or the connection is closed for good.
  enum class event : std::uint8_t { disconnected, reconnected, closed };
  virtual void on_connection_event(event e) = 0;
  //! A publish acknowledgment: `pa` when positive, else `pae` (either may be null). The message
  //! is destroyed after this returns.
  virtual void on_publish_ack(natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) = 0;

 protected:
  ~connection_listener() = default;
};

//! What connecting needs (the forwarder's options, reduced to the connection's part).
struct connection_settings {
  std::string url, user, password, client_name;
  std::chrono::milliseconds connect_timeout{2000}, reconnect_wait{250}, request_timeout{2000};
  std::size_t max_pending = 4096;  //!< our bound on unacknowledged publishes
};

//! A failed libnats operation and what was being done ("connect", "purge IX_...").
struct op_error {
  detail::nats_error err;
  std::string what;
};

//! One publishing connection at a time (see the file comment). Opened, used and dropped by one
//! worker thread; connected() and closed() may be read anywhere.
class connection {
 public:
  explicit connection(connection_listener& l) : listener_(&l) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  //! The worker has stopped by now (the owner joins it first); late callbacks become no-ops.
  ~connection() {
    detach();
    drop();
  }

  //! Waits for a running callback to finish; no later one reaches the listener.
  void detach() { link_->detach(); }
  //! The closure libnats receives with every callback of this connection.
  void* closure() const noexcept { return link_; }

  //! Connects and creates the JetStream context (asynchronous publishes acknowledged through
  //! on_ack). On failure nothing stays open.
  std::optional<op_error> open(const connection_settings& s) {
    detail::connect_settings cs;
    cs.url = s.url;
    cs.user = s.user;
    cs.password = s.password;
    cs.name = s.client_name;
    cs.timeout = s.connect_timeout;
    cs.reconnect_wait = s.reconnect_wait;
    cs.on_disconnected = &on_disconnected;
    cs.on_reconnected = &on_reconnected;
    cs.on_closed = &on_closed;
    cs.closure = link_;
    detail::nats_error err;
    closed_.store(false);
    auto c = detail::connect(cs, err);
    if (!c) return op_error{std::move(err), "connect"};
    current_.store(c.get());
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = s.request_timeout.count();
    // The library's own bound sits just above ours, so its stall path is never the normal one.
    jo.PublishAsync.MaxPending = static_cast<int64_t>(s.max_pending + 64);
    jo.PublishAsync.AckHandler = &on_ack;
    jo.PublishAsync.AckHandlerClosure = link_;
    jo.PublishAsync.StallWait = 50;
    jsCtx* js = nullptr;
    if (auto st = natsConnection_JetStream(&js, c.get(), &jo); st != NATS_OK)
      return op_error{detail::last_error(st), "JetStream context"};
    conn_ = std::move(c);
    js_.reset(js);
    async_used_ = false;
    ++generation_;
    connected_.store(true);
    return std::nullopt;
  }

  //! Takes back every message the library still waits an acknowledgment for (the owner marks
  //! them failed: they are resent, if JetStream lacks them, after the next resync).
  void reclaim() {
    // libnats 3.4 crashes here when the context never published asynchronously.
    if (!js_ || !async_used_) return;
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK)
      natsMsgList_Destroy(&pending);
  }
  //! Waits up to `max_wait` for the acknowledgments of asynchronous publishes still on their way.
  void complete(std::chrono::milliseconds max_wait) {
    if (!js_ || !async_used_) return;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = max_wait.count();
    js_PublishAsyncComplete(js_.get(), &po);
  }
  //! Publishes asynchronously; on success the library owns `m` (set to null), else it is ours.
  natsStatus publish(natsMsg*& m) {
    async_used_ = true;
    return js_PublishMsgAsync(js_.get(), &m, nullptr);
  }
  //! Closes the connection (its callbacks still come; on_closed last).
  void close() {
    if (conn_) natsConnection_Close(conn_.get());
  }
  //! Forgets the connection: its late events are ignored, its pending publishes taken back.
  void drop() {
    current_.store(nullptr);
    // Closed first: closing joins libnats' reader thread, so no acknowledgment is being handed
    // to the context's reply subscription while the context is destroyed (libnats 3.4 crashed
    // in natsConn_processMsg when the context went first, seen under ASan in cli_streams_lag).
    if (conn_) natsConnection_Close(conn_.get());
    reclaim();
    js_.reset();
    conn_.reset();
    connected_.store(false);
  }

  bool is_open() const noexcept { return conn_ != nullptr; }
  bool connected() const noexcept { return connected_.load(); }
  //! libnats closed the connection for good (it must be dropped and made again).
  bool closed() const noexcept { return closed_.load(); }
  jsCtx* js() const noexcept { return js_.get(); }
  //! Counts successful open() calls: state tied to one connection (a stream created on it)
  //! compares generations.
  std::uint64_t generation() const noexcept { return generation_; }

  // ---- libnats callbacks (library threads) -----------------------------------------------
  // Public so a test can drive them as libnats does, from threads of its own: ThreadSanitizer
  // cannot see inside the uninstrumented library (tests/jetstream/callbacks_test.cpp).

  static void on_disconnected(natsConnection* nc, void* link) {
    on_event(nc, link, connection_listener::event::disconnected);
  }
  static void on_reconnected(natsConnection* nc, void* link) {
    on_event(nc, link, connection_listener::event::reconnected);
  }
  static void on_closed(natsConnection* nc, void* link) {
    on_event(nc, link, connection_listener::event::closed);
  }
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* link) {
    static_cast<link_t*>(link)->with_owner(
        [&](connection& c) { c.listener_->on_publish_ack(msg, pa, pae); });
    natsMsg_Destroy(msg);
  }

 private:
  using link_t = detail::callback_link<connection>;

  // Applies a connection event unless it is a late one of a connection already dropped.
  static void on_event(natsConnection* nc, void* link, connection_listener::event e) {
    static_cast<link_t*>(link)->with_owner([&](connection& c) {
      if (nc != c.current_.load()) return;
      using ev = connection_listener::event;
      if (e == ev::closed) c.closed_.store(true);
      c.connected_.store(e == ev::reconnected);
      c.listener_->on_connection_event(e);
    });
  }

  connection_listener* listener_;
  link_t* link_ = link_t::make(this);
  std::atomic<bool> connected_{false}, closed_{false};
  std::atomic<natsConnection*> current_{nullptr};  // whose events the callbacks still apply
  // Worker thread only:
  detail::conn_ptr conn_;
  detail::js_ptr js_;
  bool async_used_ = false;  // the current context has published asynchronously
  std::uint64_t generation_ = 0;
};

}  // namespace introspect::inline v1::jetstream
