#pragma once
//! The records of the etcd source: a key in a snapshot or a change seen by the watch, the
//! begin/end/abort markers of a prefix's snapshot, and the source's own notifications.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/source/etcd/detail/base64.hpp>
#include <introspect/source/etcd/detail/utf8.hpp>
#include <introspect/source/etcd/event.hpp>
#include <introspect/source/etcd/protocol.hpp>

namespace introspect::inline v1::etcd {

//! One key's record: `op` is "snapshot", "put" or "delete"; `rev` the revision it describes.
inline event key_record(std::int64_t ts, const key_value& kv, std::int64_t rev,
                        std::uint64_t snapshot_id, std::string_view op) {
  event e;
  e.kind = record_kind::snapshot;
  e.ts_ns = ts;
  e.name = kv.key;
  const bool deleted = op == "delete";
  if (!deleted) e.val = kv.value;
  e.fields.reserve(9);
  e.fields.push_back({"revision", rev});
  if (!deleted) {
    e.fields.push_back({"create_revision", kv.create_revision});
    e.fields.push_back({"mod_revision", kv.mod_revision});
    e.fields.push_back({"version", kv.version});
    e.fields.push_back({"lease", kv.lease});
  } else {
    e.fields.push_back({"mod_revision", kv.mod_revision});
  }
  if (!detail::valid_utf8(kv.key)) e.fields.push_back({"key_b64", detail::base64_encode(kv.key)});
  if (!deleted && !detail::valid_utf8(kv.value))
    e.fields.push_back({"value_b64", detail::base64_encode(kv.value)});
  e.fields.push_back({"snapshot_id", static_cast<std::int64_t>(snapshot_id)});
  e.fields.push_back({"op", std::string(op)});
  return e;
}

//! A `begin`, `end` or `abort` marker of one prefix of snapshot `id` (keys/bytes on end and
//! abort; `cause` on abort).
inline event marker_record(std::int64_t ts, std::uint64_t id, std::string_view op,
                           const std::string& prefix, std::int64_t rev, std::int64_t keys,
                           std::int64_t bytes, const std::string& cause) {
  event e;
  e.kind = record_kind::snapshot;
  e.ts_ns = ts;
  e.name = std::string(snapshot_marker);
  e.val = std::string(op);
  e.fields = {{"snapshot_id", static_cast<std::int64_t>(id)},
              {"op", std::string(op)},
              {"prefix", prefix},
              {"revision", rev}};
  if (!detail::valid_utf8(prefix))
    e.fields.push_back({"prefix_b64", detail::base64_encode(prefix)});
  if (op != "begin") {
    e.fields.push_back({"keys", keys});
    e.fields.push_back({"bytes", bytes});
  }
  if (!cause.empty()) e.fields.push_back({"cause", cause});
  return e;
}

//! A notification of the source itself (failures, recovery, compaction).
inline event notice_record(std::int64_t ts, severity sev, std::string message,
                           std::vector<field> fields) {
  event e;
  e.kind = record_kind::notification;
  e.sev = sev;
  e.ts_ns = ts;
  e.name = std::move(message);
  e.fields = std::move(fields);
  return e;
}

}  // namespace introspect::inline v1::etcd
