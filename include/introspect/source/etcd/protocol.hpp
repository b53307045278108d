#pragma once
//! The v3 JSON gateway's messages the etcd source uses: range, watch and authenticate requests
//! (keys and values in base64, 64-bit integers as JSON strings) and their parsed responses.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <introspect/format/json_escape.hpp>
#include <introspect/source/etcd/detail/base64.hpp>

namespace introspect::inline v1::etcd {

//! One key as etcd stores it; bytes are decoded from base64.
struct key_value {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::int64_t lease = 0;
};

//! One page of a range response.
struct range_page {
  std::int64_t revision = 0;  // header.revision: the store's revision the page was read at
  std::vector<key_value> kvs;
  bool more = false;
  std::int64_t count = 0;  // keys in the whole range
};

//! A change seen by a watch.
struct watch_event {
  bool is_delete = false;
  key_value kv;
};

//! One message of a watch stream.
struct watch_message {
  std::int64_t watch_id = 0;
  std::int64_t revision = 0;  // header.revision
  bool created = false;
  bool canceled = false;
  std::int64_t compact_revision = 0;  // set when the start revision was compacted
  std::string cancel_reason;
  std::vector<watch_event> events;
};

//! One create_request of a watch.
struct watch_range {
  std::string key;
  std::string range_end;
  std::int64_t start_revision = 0;
};

namespace detail {

// The one JSON escaper (format/json_escape.hpp); invalid UTF-8 becomes U+FFFD, as etcd's Go
// JSON decoder would make it anyway.
inline void json_string_literal(std::string& out, std::string_view s) {
  append_json_string(out, s);
}

using simdjson::dom::element;

// The gateway writes int64 as strings ("revision":"5"); numbers are accepted too. Anything
// else (not a whole decimal, or outside int64: a server's bytes are untrusted) reads as 0,
// like a missing field; a digit loop would overflow (undefined behaviour) on 20 digits.
inline std::int64_t json_int(simdjson::simdjson_result<element> e) {
  std::int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return 0;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return 0;
  return v;
}

inline bool json_bool(simdjson::simdjson_result<element> e) {
  bool b = false;
  return e.get_bool().get(b) == simdjson::SUCCESS && b;
}

inline std::string_view json_sv(simdjson::simdjson_result<element> e) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
}

// A gateway error: {"error": "...", "message": "...", "code": N} or, in a stream,
// {"error": {"grpc_code": N, "message": "...", ...}}.
inline std::optional<std::string> json_error(element doc) {
  auto err = doc["error"];
  if (err.error() != simdjson::SUCCESS) return std::nullopt;
  std::string_view msg = json_sv(doc["message"]);
  if (msg.empty()) msg = json_sv(err);
  if (msg.empty()) msg = json_sv(err["message"]);
  return std::string(msg.empty() ? std::string_view{"unknown gateway error"} : msg);
}

inline std::optional<std::string> read_kv(element e, key_value& kv) {
  auto key = base64_decode(json_sv(e["key"]));
  auto value = base64_decode(json_sv(e["value"]));
  if (!key || !value) return std::string("a key or value is not base64");
  kv.key = std::move(*key);
  kv.value = std::move(*value);
  kv.create_revision = json_int(e["create_revision"]);
  kv.mod_revision = json_int(e["mod_revision"]);
  kv.version = json_int(e["version"]);
  kv.lease = json_int(e["lease"]);
  return std::nullopt;
}

}  // namespace detail

//! The body of POST /v3/kv/range: [key, range_end) at `revision` (0 = the latest).
inline std::string range_request(std::string_view key, std::string_view range_end,
                                 std::size_t limit, std::int64_t revision) {
  std::string b = "{\"key\":\"" + detail::base64_encode(key) + "\",\"range_end\":\"" +
                  detail::base64_encode(range_end) + "\"";
  if (limit > 0) b += ",\"limit\":\"" + std::to_string(limit) + "\"";
  if (revision > 0) b += ",\"revision\":\"" + std::to_string(revision) + "\"";
  return b + "}";
}

//! The body of POST /v3/watch: one create_request per range (the gateway reads them in order
//! and answers each with a `created` message carrying its watch_id).
inline std::string watch_request(const std::vector<watch_range>& ranges) {
  std::string b;
  for (const auto& r : ranges)
    b += "{\"create_request\":{\"key\":\"" + detail::base64_encode(r.key) + "\",\"range_end\":\"" +
         detail::base64_encode(r.range_end) + "\",\"start_revision\":\"" +
         std::to_string(r.start_revision) + "\"}}";
  return b;
}

//! The body of POST /v3/auth/authenticate.
inline std::string authenticate_request(std::string_view user, std::string_view password) {
  std::string b = "{\"name\":";
  detail::json_string_literal(b, user);
  b += ",\"password\":";
  detail::json_string_literal(b, password);
  return b + "}";
}

//! Parses JSON responses of the gateway; one parser is reused (no allocation in steady state).
class response_parser {
 public:
  //! Parses a range response into `out`; the cause on failure (a gateway error or bad JSON).
  std::optional<std::string> range(std::string_view body, range_page& out) {
    detail::element doc;
    if (auto e = parse(body, doc)) return e;
    if (auto e = detail::json_error(doc)) return e;
    out.revision = detail::json_int(doc["header"]["revision"]);
    out.more = detail::json_bool(doc["more"]);
    out.count = detail::json_int(doc["count"]);
    out.kvs.clear();
    simdjson::dom::array kvs;
    if (doc["kvs"].get_array().get(kvs) == simdjson::SUCCESS) {
      for (auto e : kvs) {
        key_value kv;
        if (auto err = detail::read_kv(e, kv)) return err;
        out.kvs.push_back(std::move(kv));
      }
    }
    if (out.revision <= 0) return std::string("range response without header.revision");
    return std::nullopt;
  }

  //! Parses one line of a watch stream into `out`.
  std::optional<std::string> watch(std::string_view line, watch_message& out) {
    detail::element doc;
    if (auto e = parse(line, doc)) return e;
    if (auto e = detail::json_error(doc)) return e;
    auto r = doc["result"];
    if (r.error() != simdjson::SUCCESS) return std::string("watch message without result");
    out.watch_id = detail::json_int(r["watch_id"]);
    out.revision = detail::json_int(r["header"]["revision"]);
    out.created = detail::json_bool(r["created"]);
    out.canceled = detail::json_bool(r["canceled"]);
    out.compact_revision = detail::json_int(r["compact_revision"]);
    out.cancel_reason = std::string(detail::json_sv(r["cancel_reason"]));
    out.events.clear();
    simdjson::dom::array evs;
    if (r["events"].get_array().get(evs) == simdjson::SUCCESS) {
      for (auto e : evs) {
        watch_event ev;
        ev.is_delete = detail::json_sv(e["type"]) == "DELETE";
        detail::element kv;
        if (e["kv"].get(kv) != simdjson::SUCCESS) return std::string("watch event without kv");
        if (auto err = detail::read_kv(kv, ev.kv)) return err;
        out.events.push_back(std::move(ev));
      }
    }
    return std::nullopt;
  }

  //! The token of an authenticate response.
  std::optional<std::string> token(std::string_view body, std::string& out) {
    detail::element doc;
    if (auto e = parse(body, doc)) return e;
    if (auto e = detail::json_error(doc)) return e;
    out = std::string(detail::json_sv(doc["token"]));
    if (out.empty()) return std::string("authenticate response without a token");
    return std::nullopt;
  }

  //! The gateway's error message in `body`, if it holds one.
  std::optional<std::string> error(std::string_view body) {
    detail::element doc;
    if (parse(body, doc)) return std::nullopt;
    return detail::json_error(doc);
  }

 private:
  std::optional<std::string> parse(std::string_view body, detail::element& doc) {
    if (parser_.parse(body.data(), body.size(), true).get(doc) != simdjson::SUCCESS) {
      std::string head(body.substr(0, 80));
      return "not JSON: '" + head + (body.size() > 80 ? "...'" : "'");
    }
    return std::nullopt;
  }

  simdjson::dom::parser parser_;
};

}  // namespace introspect::inline v1::etcd
