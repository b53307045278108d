#pragma once
//! What a reader needs whatever retention removed: the instance's identity and the latest
//! state table, kept as store metadata (never removed by retention or truncation).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <introspect/codec/binary.hpp>
#include <introspect/core/config.hpp>
#include <introspect/engine/state_table.hpp>
#include <introspect/format/json_escape.hpp>
#include <introspect/metrics/registry.hpp>
#include <introspect/store/writer.hpp>
#ifdef INTROSPECT_HAS_SERIALIZATION
#include <introspect/store/checkpoint.hpp>
#endif

namespace introspect::inline v1 {

//! Metadata names used by the record layer.
inline constexpr std::string_view identity_meta = "identity.json";
inline constexpr std::string_view state_table_meta = "state_table";

//! Writes identity.json: instance, tier, mapping and format versions.
template <class Writer>
void write_identity(Writer& w, std::string_view instance, std::string_view tier, bool per_kind) {
  std::string j = "{\"instance\":";
  append_json_string(j, instance);
  j += ",\"tier\":";
  append_json_string(j, tier);
  j += ",\"mapping\":\"";
  j += per_kind ? "stream_per_kind" : "single_stream";
  j += "\",\"payload_version\":1}\n";
  w.put_meta(identity_meta, std::string_view{j});
}

//! Encodes a state table: repeated [u32 length][i64 ts][record payload], little-endian.
inline std::string encode_state_table(const state_table& t) {
  std::string out, rec;
  for (const auto& [key, e] : t.entries()) {
    record_view r;
    r.kind = record_kind::state;
    r.source = e.source;
    r.name = key;
    r.val = to_view(e.val);
    rec.clear();
    codec::encode(r, rec);
    const auto n = static_cast<std::uint32_t>(rec.size());
    char hdr[12];
    std::memcpy(hdr, &n, 4);
    std::memcpy(hdr + 4, &e.ts_ns, 8);
    out.append(hdr, 12);
    out += rec;
  }
  return out;
}

//! Decodes a state table blob; false (and a partial table) on a malformed blob.
inline bool decode_state_table(std::string_view blob, state_table& t) {
  while (blob.size() >= 12) {
    std::uint32_t n;
    std::int64_t ts;
    std::memcpy(&n, blob.data(), 4);
    std::memcpy(&ts, blob.data() + 4, 8);
    blob.remove_prefix(12);
    if (n > blob.size()) return false;
    record r;
    if (!codec::decode(blob.substr(0, n), r)) return false;
    t.set(r.source, r.name, to_view(r.val), ts);
    blob.remove_prefix(n);
  }
  return blob.empty();
}

//! Reloads the state table a previous run of this instance saved (so it survives restarts).
template <class Writer>
void restore_state_table(const Writer& w, state_table& t) {
  auto blob = w.get_meta(state_table_meta);
  if (!blob) return;
  decode_state_table({reinterpret_cast<const char*>(blob->data()), blob->size()}, t);
}

//! Saves the state table (and, with Boost.Serialization, a versioned checkpoint with the
//! metric snapshot) atomically as metadata.
template <class Writer>
void save_state_checkpoint(Writer& w, const state_table& t,
                           [[maybe_unused]] const metrics::registry& reg,
                           [[maybe_unused]] std::int64_t now) {
  w.put_meta(state_table_meta, std::string_view{encode_state_table(t)});
#ifdef INTROSPECT_HAS_SERIALIZATION
  store::checkpoint c;
  c.ts_ns = now;
  for (const auto& [key, e] : t.entries())
    c.states[key] = std::visit(
        [](const auto& v) -> std::string {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>)
            return v;
          else if constexpr (std::is_same_v<V, std::monostate>)
            return {};
          else
            return std::to_string(v);
        },
        e.val);
  reg.snapshot([&](std::string_view name, const auto& s) {
    using S = std::remove_cvref_t<decltype(s)>;
    if constexpr (std::is_same_v<S, metrics::counter_sample> ||
                  std::is_same_v<S, metrics::gauge_sample>)
      c.metrics[std::string{name}] = static_cast<double>(s.value);
    else
      c.metrics[std::string{name}] = static_cast<double>(s.count);
  });
  if constexpr (std::is_same_v<Writer, store::writer>) store::save_checkpoint(w, c);
#endif
}

}  // namespace introspect::inline v1
