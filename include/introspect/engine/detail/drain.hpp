#pragma once
// The threaded engine's writer side (engine/threaded_engine.hpp): what the writer thread does
// with each record it drains from the rings and the queue — the state table, the insight rules
// and the store — with the writer-only state that needs (interned keys, the table, the rules).
// Apart from the engine so that the engine's header keeps to the thread, the queue and the
// cadence.
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/key_table.hpp>
#include <introspect/engine/online_insights.hpp>
#include <introspect/engine/state_table.hpp>
#include <introspect/pipeline/record_slot.hpp>
#include <introspect/sink/concept.hpp>

namespace introspect::inline v1::engine::detail {

//! Drains `queue` and `rings` (merged by timestamp) into `store(slot)`; returns the records.
//! The queue is taken in runs (one claim per run, not one locked instruction per record; it
//! fetches the run's next slots while the writer stores this one).
template <class Rings, class Queue, class Store>
std::size_t drain(Rings& rings, Queue& queue, Store&& store) {
  return rings.drain_merged(queue, store);
}

//! The writer thread's handling of each drained record of a build resolved as `Resolved`: its
//! state-table entry and the insight rules it feeds are found through the interned key (no
//! look-up by name), the rules get a view of the slot's bytes (decoded past the name only when
//! a rule uses the key), and the sink takes the bytes as they are. Writer thread only.
template <class Resolved>
class slot_writer {
  static constexpr bool insights_enabled = Resolved::kinds::has(record_kind::insight);
  static constexpr bool keeps_state = Resolved::kinds::has(record_kind::state);

 public:
  //! Stores one drained record (a queue slot, or a ring's pipeline::ring_record: ts, kind,
  //! payload()) in `sink`; a sink's exception goes to `report(what)`.
  template <class Sink, class Slot, class Report>
  void store_slot(Sink& sink, const Slot& s, Report&& report) {
    const auto k = static_cast<record_kind>(s.kind);
    if constexpr (insights_enabled || keeps_state) {
      pipeline::payload_head h;
      if ((insights_enabled || k == record_kind::state) && read_head(s.payload(), h))
        use_slot(sink, s, k, h);
    }
    try {
      sink.append(framed_record{k, s.ts, s.payload()});
    } catch (const std::exception& e) {
      report(e.what());
    }
  }

  //! Encodes and stores a record the writer made (sources, metric snapshots, drop counts,
  //! insights), after the insight rules saw it.
  template <class Sink>
  void append_record(Sink& sink, const record_view& r) {
    if constexpr (insights_enabled)
      if (r.kind != record_kind::insight) observe(sink, r);
    scratch_.clear();
    codec::encode(r, scratch_);
    sink.append(framed_record{r.kind, r.ts_ns, std::string_view{scratch_}});
  }

  //! The state table (restored at open, checkpointed by the period's work).
  state_table& table() noexcept { return table_; }
  //! True when a state changed since the last call (the checkpoint is then due).
  [[nodiscard]] bool table_dirty() const noexcept { return table_dirty_; }
  void table_saved() noexcept { table_dirty_ = false; }

  // pipeline::read_head, inline for the common payload whose source and name are shorter than
  // 128 bytes (one-byte lengths); others take read_head's varint decoding.
  static bool read_head(std::string_view p, pipeline::payload_head& h) noexcept {
    const auto* b = reinterpret_cast<const unsigned char*>(p.data());
    if (p.size() >= 6 && b[0] == codec::payload_version && b[4] < 0x80) {
      const std::size_t sn = b[4];
      if (6 + sn <= p.size() && b[5 + sn] < 0x80) {
        const std::size_t nn = b[5 + sn];
        if (6 + sn + nn <= p.size()) {
          h.flags = b[3];  // the bounds are checked above: views, not substr()'s checks again
          h.source = std::string_view(p.data() + 5, sn);
          h.name = std::string_view(p.data() + 6 + sn, nn);
          h.key = std::string_view(p.data() + 4, 2 + sn + nn);
          return true;
        }
      }
    }
    return pipeline::read_head(p, h);
  }

 private:
  struct key_info {
    typename online_insights<insights_enabled>::routes_ref routes{};
    state_table::entry* state = nullptr;
    bool body = false;  // a rule reads more than the head: the record is decoded for it
  };

  template <class Sink, class Slot>
  void use_slot(Sink& sink, const Slot& s, record_kind k, const pipeline::payload_head& h) {
    record_view v;
    v.ts_ns = s.ts;
    v.kind = k;
    // The payload's second byte (codec/binary.hpp): what a counting rule reads besides the key.
    v.sev = static_cast<severity>(static_cast<std::uint8_t>(s.payload()[1]));
    v.flags = h.flags;
    v.source = h.source;
    v.name = h.name;
    key_info* ki = keys_.find_or_add(s.kind, h.key, [&] {
      key_info i;
      i.routes = insights_.routes(v);
      if constexpr (insights_enabled) i.body = i.routes.needs_body();
      if (k == record_kind::state) i.state = &table_.slot(h.name);
      return i;
    });
    const bool table = k == record_kind::state && !(h.flags & flag_table);
    // Decoded past the name only for a rule that reads the value or fields (an unknown key,
    // past the key table's bound, takes the engine's look-up by name, which needs it all).
    const bool body = !ki || ki->body;
    if (table || (insights_enabled && body)) {
      if (!codec::decode_view(s.payload(), v, view_fields_)) return;
      v.ts_ns = s.ts;
      v.kind = k;
    }
    if (table) {
      if (ki)
        state_table::set(*ki->state, v.source, v.val, s.ts);
      else
        table_.set(v.source, v.name, v.val, s.ts);
      table_dirty_ = true;
    }
    if constexpr (insights_enabled) {
      auto emit = [&](const record_view& ins) { append_record(sink, ins); };
      if (ki)
        insights_.observe(ki->routes, v, emit);
      else
        insights_.observe(v, emit);
    }
  }

  // Records reach the insight rules in the order they are stored.
  template <class Sink>
  void observe(Sink& sink, const record_view& v) {
    insights_.observe(v, [&](const record_view& ins) { append_record(sink, ins); });
  }

  state_table table_;
  [[no_unique_address]] online_insights<insights_enabled> insights_;
  std::string scratch_;
  key_table<key_info> keys_;
  std::vector<field_view> view_fields_;
  bool table_dirty_ = false;
};

}  // namespace introspect::inline v1::engine::detail
