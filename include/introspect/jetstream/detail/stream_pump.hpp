#pragma once
// The forwarder's publishing side: positions each stream where JetStream's acknowledgments end
// (publishing only what JetStream lacks after that), then reads records from the store cursor
// and publishes them, within the batch and max_pending bounds (docs/jetstream.md, "Exactly
// once, offline first"). Worker thread only; the shared state is the stream_table's.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/record_message.hpp>
#include <introspect/jetstream/detail/stream_table.hpp>
#include <introspect/jetstream/error_reporter.hpp>
#include <introspect/jetstream/provisioning.hpp>
#include <introspect/store/files.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::jetstream::detail {

//! What the pump works with: the forwarder's parts and bounds.
struct pump_parts {
  connection& conn;
  stream_table& table;
  const stream_provisioner& prov;
  error_reporter& errors;
  store::reader& reader;
  const std::string& scope;
  std::size_t batch, max_pending;
  std::chrono::milliseconds poll_interval;
  std::atomic<bool>& need_resync;  //!< set on any failure that needs a resync
};

//! Streams from the store to JetStream (see the file comment).
class stream_pump {
 public:
  explicit stream_pump(pump_parts p) : p_(p) {}

  //! The JetStream stream of `s` exists with the forwarder's configuration.
  bool ensure(forwarded_stream& s) {
    if (auto e = p_.prov.ensure(p_.conn.js(), s.target)) return failed(*e);
    return true;
  }
  //! Creates and positions every stream not ready yet; false (reported) on a failure.
  bool prepare() {
    for (std::size_t i = 0; forwarded_stream* s = p_.table.at(i); ++i) {
      if (p_.table.ready(*s)) continue;
      if (!ensure(*s) || !position(*s)) return false;
      p_.table.set_ready(*s);
    }
    return true;
  }
  //! After a failure or a (re)connect: takes back what the library holds and makes every stream
  //! be positioned again.
  void resync() {
    p_.table.count(&forwarder_stats::resyncs);
    // Acknowledgments of messages the server did receive may still be on their way.
    p_.conn.complete(std::chrono::milliseconds(500));
    p_.conn.reclaim();
    p_.table.fail_pending();
    p_.table.commit();
    p_.table.set_all_unready();
  }

  //! Publishes up to `batch` records per stream while fewer than max_pending are in flight.
  //! Returns true when every ready stream's cursor reached the current end of the store (not
  //! when it stopped early for the batch or the max_pending bound: wait_idle() and the drain
  //! at stop() rely on it), false too after a failure.
  template <class Halted>
  bool pump(Halted halted) {
    bool at_end = true;
    forwarded_stream* sp;
    for (std::size_t i = 0; !halted() && (sp = p_.table.at(i)); ++i) {
      auto& s = *sp;
      if (!s.ready || !s.cur) continue;
      bool reached_end = false;
      store::frame_view rv;
      for (std::size_t n = 0; n < p_.batch; ++n) {
        if (!p_.table.wait_capacity(p_.max_pending, p_.poll_interval, halted)) break;
        if (p_.need_resync.load() || !p_.conn.connected()) return false;
        if (!s.cur->next(rv)) {
          reached_end = true;
          break;
        }
        const auto next = store::next_frame_offset(rv.offset, rv.payload.size());
        s.read_pos = next;
        if (auto it = s.present.find(rv.offset); it != s.present.end()) {
          p_.table.already_present(s, rv.offset, next, it->second);
          s.present.erase(it);
          continue;
        }
        if (!publish(s, rv, next)) return false;
      }
      if (!reached_end) at_end = false;
    }
    return at_end;
  }

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  bool failed(const op_error& e) {
    p_.errors.fail(e);
    return false;
  }

  // Everything before the first unacknowledged record is known to be in JetStream; after it,
  // only what JetStream lacks is sent.
  bool position(forwarded_stream& s) {
    auto r = p_.table.resync_point(s);
    held_records h{std::move(r.present), std::nullopt};
    auto e = p_.prov.held(p_.conn.js(), s.target, r.from, r.hint_seq, h);
    if (h.lost) p_.errors.fail(error_cause::stream, *h.lost);
    if (e) return failed(*e);
    p_.table.reposition(s, r.from);
    s.present = std::move(h.present);
    s.cur.emplace(
        p_.reader.open(p_.scope, s.target.name, store::cursor_options{r.from, std::nullopt}));
    s.read_pos = r.from;
    return true;
  }

  bool publish(forwarded_stream& s, const store::frame_view& rv, store::offset_t next) {
    nats_error err;
    const char* what = "";
    auto msg = record_message(s.target.subject, s.id_prefix, rv, err, what);
    if (!msg) return failed({std::move(err), what});
    // Registered before the publish: its acknowledgment may arrive before publish returns.
    p_.table.publishing(s, rv.offset, next, now_ns());
    natsMsg* m = msg.release();
    const auto st = p_.conn.publish(m);
    natsMsg_Destroy(m);  // no-op when the library took it
    if (st == NATS_OK) return true;
    p_.table.publish_failed(s, rv.offset);
    p_.need_resync.store(true);
    return failed({last_error(st), "publish to " + s.target.subject});
  }

  pump_parts p_;
};

}  // namespace introspect::inline v1::jetstream::detail
