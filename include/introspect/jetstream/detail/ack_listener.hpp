#pragma once
// The forwarder's side of its connection's callbacks (libnats threads, under the callback
// link's lock): connection events and publish acknowledgments update the stream table and ask
// the worker for a resync; and the worker's check for acknowledgments that never came.
#include <atomic>
#include <chrono>
#include <string>
#include <utility>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/detail/stream_pump.hpp>
#include <introspect/jetstream/detail/stream_table.hpp>
#include <introspect/jetstream/error_reporter.hpp>

namespace introspect::inline v1::jetstream::detail {

//! Acknowledgments and connection events into the stream table (see the file comment).
class ack_listener final : public connection_listener {
 public:
  ack_listener(stream_table& table, std::atomic<bool>& need_resync, error_reporter& errors)
      : table_(table), need_resync_(need_resync), errors_(errors) {}

  void on_connection_event(event e) override {
    if (e != event::closed) {
      need_resync_.store(true);
      table_.count(e == event::disconnected ? &forwarder_stats::disconnects
                                            : &forwarder_stats::connects);
    }
    table_.notify();
  }
  void on_publish_ack(natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) override {
    const char* subj = natsMsg_GetSubject(msg);
    table_.ack(subj, offset_of(msg), pa);
    if (!pa) {
      nats_error err{pae ? pae->Err : NATS_ERR, pae ? static_cast<int>(pae->ErrCode) : 0,
                     pae && pae->ErrText ? pae->ErrText : "publish failed"};
      if (pae && err.text.empty()) err.text = natsStatus_GetText(pae->Err);
      need_resync_.store(true);
      errors_.fail({std::move(err), "publish to " + std::string(subj ? subj : "?")});
    }
    table_.notify();
  }

  //! Worker thread: a message unacknowledged for longer than `timeout` means a resync (which
  //! resends what JetStream lacks); said once per distinct message.
  void check_timeouts(std::chrono::milliseconds timeout) {
    if (!table_.ack_overdue(stream_pump::now_ns() - std::chrono::nanoseconds(timeout).count()))
      return;
    need_resync_.store(true);
    errors_.fail(error_cause::timeout, "no acknowledgment within " +
                                           std::to_string(timeout.count()) +
                                           " ms; resending what JetStream lacks");
  }

 private:
  stream_table& table_;
  std::atomic<bool>& need_resync_;
  error_reporter& errors_;
};

}  // namespace introspect::inline v1::jetstream::detail
