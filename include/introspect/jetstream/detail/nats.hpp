#pragma once
// Thin RAII and error helpers over libnats (C); everything else in jetstream/ builds on these.
#include <nats/nats.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/detail/sigpipe.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/stats.hpp>

namespace introspect::inline v1::jetstream::detail {

struct conn_deleter {
  void operator()(natsConnection* c) const noexcept { natsConnection_Destroy(c); }
};
struct opts_deleter {
  void operator()(natsOptions* o) const noexcept { natsOptions_Destroy(o); }
};
struct js_deleter {
  void operator()(jsCtx* j) const noexcept { jsCtx_Destroy(j); }
};
struct msg_deleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};
struct sub_deleter {
  void operator()(natsSubscription* s) const noexcept {
    natsSubscription_Unsubscribe(s);
    natsSubscription_Destroy(s);
  }
};
struct si_deleter {
  void operator()(jsStreamInfo* s) const noexcept { jsStreamInfo_Destroy(s); }
};
struct meta_deleter {
  void operator()(jsMsgMetaData* m) const noexcept { jsMsgMetaData_Destroy(m); }
};
using conn_ptr = std::unique_ptr<natsConnection, conn_deleter>;
using opts_ptr = std::unique_ptr<natsOptions, opts_deleter>;
using js_ptr = std::unique_ptr<jsCtx, js_deleter>;
using msg_ptr = std::unique_ptr<natsMsg, msg_deleter>;
using sub_ptr = std::unique_ptr<natsSubscription, sub_deleter>;
using stream_info_ptr = std::unique_ptr<jsStreamInfo, si_deleter>;
using meta_ptr = std::unique_ptr<jsMsgMetaData, meta_deleter>;

//! A failed libnats call: status, JetStream error code (0 if none) and the library's text.
struct nats_error {
  natsStatus status = NATS_OK;
  int js_code = 0;
  std::string text;
};

// The library keeps the detailed text of the last error per thread.
inline nats_error last_error(natsStatus s, int js_code = 0) {
  nats_error e{s, js_code, natsStatus_GetText(s)};
  natsStatus ls = NATS_OK;
  if (const char* t = nats_GetLastError(&ls); t && *t && std::string_view(t) != e.text)
    e.text += std::string(": ") + t;
  if (js_code) e.text += " (JetStream error " + std::to_string(js_code) + ")";
  return e;
}

// Creates the stream, or updates it when it exists (limits may have changed since); NATS_OK or
// the failure, with the JetStream error code in `code`.
inline natsStatus add_or_update_stream(jsCtx* js, jsStreamConfig& cfg, jsErrCode& code) {
  jsStreamInfo* si = nullptr;
  code = static_cast<jsErrCode>(0);
  auto st = js_AddStream(&si, js, &cfg, nullptr, &code);
  if (st != NATS_OK && code == JSStreamNameExistErr) {
    code = static_cast<jsErrCode>(0);
    st = js_UpdateStream(&si, js, &cfg, nullptr, &code);
  }
  if (si) jsStreamInfo_Destroy(si);
  return st;
}

inline bool text_has(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

inline error_cause classify(natsStatus s, int js_code, std::string_view text) {
  switch (js_code) {
    case JSMaximumStreamsLimitErr:
    case JSMaximumConsumersLimitErr:
    case JSStreamLimitsErr:
    case JSStreamMessageExceedsMaximumErr:
    case 10023:  // JSInsufficientResourcesErr
    case 10047:  // JSStorageResourcesExceededErr
      return error_cause::limit;
    case JSNotEnabledErr:
    case JSNotEnabledForAccountErr:
      return error_cause::no_jetstream;
    default:
      break;
  }
  if (text_has(text, "maximum") || text_has(text, "exceed") || text_has(text, "limit"))
    return error_cause::limit;
  switch (s) {
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
      return error_cause::auth;
    case NATS_ADDRESS_MISSING:
    case NATS_INVALID_ARG:
      return error_cause::bad_url;
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
      return error_cause::connect;
    case NATS_TIMEOUT:
      return error_cause::timeout;
    case NATS_NO_RESPONDERS:
      return error_cause::no_jetstream;
    default:
      break;
  }
  if (text_has(text, "uthoriz") || text_has(text, "uthentic")) return error_cause::auth;
  return js_code ? error_cause::stream : error_cause::publish;
}

//! Connection settings shared by the forwarder and the fetch reader.
struct connect_settings {
  std::string url;  //!< one URL or a comma-separated list (a cluster)
  std::string user, password;
  std::string name = "introspect";
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds reconnect_wait{250};
  bool reconnect = true;
  natsConnectionHandler on_disconnected = nullptr, on_reconnected = nullptr, on_closed = nullptr;
  void* closure = nullptr;
};

inline bool url_plausible(std::string_view url, std::string& why) {
  if (url.empty()) return why = "empty URL", false;
  for (char c : url)
    if (c == ' ' || c < 0x21) return why = "URL contains whitespace or control bytes", false;
  std::size_t start = 0;
  while (start <= url.size()) {
    auto end = url.find(',', start);
    auto one = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
    auto scheme = one.find("://");
    if (scheme != std::string_view::npos) {
      auto s = one.substr(0, scheme);
      if (s != "nats" && s != "tls" && s != "ws" && s != "wss")
        return why = "unsupported URL scheme \"" + std::string(s) + "\" (want nats://)", false;
      one.remove_prefix(scheme + 3);
    }
    if (auto at = one.rfind('@'); at != std::string_view::npos) one.remove_prefix(at + 1);
    auto colon = one.rfind(':');
    auto host = one.substr(0, colon);
    if (host.empty()) return why = "URL has no host", false;
    if (colon != std::string_view::npos) {
      auto port = one.substr(colon + 1);
      unsigned v = 0;
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
      if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || v == 0 ||
          v > 65535)
        return why = "bad port \"" + std::string(port) + "\"", false;
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

//! Connects once; on failure returns nullptr and fills `err` (status, text, cause via classify).
inline conn_ptr connect(const connect_settings& cs, nats_error& err) {
  std::string why;
  if (!url_plausible(cs.url, why)) {
    err = {NATS_INVALID_ARG, 0, "bad URL \"" + jetstream::redact_url(cs.url) + "\": " + why};
    return nullptr;
  }
  natsOptions* raw = nullptr;
  if (auto s = natsOptions_Create(&raw); s != NATS_OK) return err = last_error(s), nullptr;
  opts_ptr o(raw);
  // libnats 3.4 fails to connect with a comma-separated SetURL list; SetServers works.
  std::vector<std::string> urls;
  for (std::size_t start = 0;;) {
    auto end = cs.url.find(',', start);
    urls.push_back(cs.url.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::vector<const char*> servers;
  for (auto& u : urls) servers.push_back(u.c_str());
  natsStatus s = natsOptions_SetServers(o.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetTimeout(o.get(), cs.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetName(o.get(), cs.name.c_str());
  if (s == NATS_OK && !cs.user.empty())
    s = natsOptions_SetUserInfo(o.get(), cs.user.c_str(), cs.password.c_str());
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(o.get(), cs.reconnect);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(o.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(o.get(), cs.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(o.get(), 50, 50);
  // Detect a dead server quickly rather than after the default 2 minutes x 2 pings.
  if (s == NATS_OK) s = natsOptions_SetPingInterval(o.get(), 1000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(o.get(), 2);
  if (s == NATS_OK) s = natsOptions_SetIOBufSize(o.get(), 256 * 1024);
  if (s == NATS_OK && cs.on_disconnected)
    s = natsOptions_SetDisconnectedCB(o.get(), cs.on_disconnected, cs.closure);
  if (s == NATS_OK && cs.on_reconnected)
    s = natsOptions_SetReconnectedCB(o.get(), cs.on_reconnected, cs.closure);
  if (s == NATS_OK && cs.on_closed) s = natsOptions_SetClosedCB(o.get(), cs.on_closed, cs.closure);
  if (s != NATS_OK) {
    err = last_error(s);
    err.text = "bad connection options for \"" + jetstream::redact_url(cs.url) + "\": " + err.text;
    return nullptr;
  }
  natsConnection* c = nullptr;
  {
    // libnats writes TLS through OpenSSL's socket BIO (no MSG_NOSIGNAL) from its own reader and
    // flusher threads, which inherit the mask of the thread that connects: connecting with
    // SIGPIPE blocked keeps a server that went away from killing the product (exit 141).
    introspect::detail::sigpipe_guard no_sigpipe;
    s = natsConnection_Connect(&c, o.get());
  }
  if (s != NATS_OK) {
    err = last_error(s);
    err.text = "cannot connect to " + jetstream::redact_url(cs.url) + ": " + err.text;
    return nullptr;
  }
  return conn_ptr(c);
}

//! A header value, or empty when absent.
inline std::string_view header_of(natsMsg* m, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(m, key, &v) != NATS_OK || !v) return {};
  return v;
}

//! The store offset of a forwarded message (from its Nats-Msg-Id).
inline std::optional<std::uint64_t> offset_of(natsMsg* m) {
  return offset_of_msg_id(header_of(m, header::msg_id));
}

template <class T>
inline std::optional<T> number_of(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

//! Stream info, or nullptr with `err` set (js_code JSStreamNotFoundErr when absent).
inline stream_info_ptr stream_info(jsCtx* js, const std::string& name, nats_error& err) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto s = js_GetStreamInfo(&si, js, name.c_str(), nullptr, &code);
  if (s != NATS_OK) {
    err = last_error(s, static_cast<int>(code));
    if (s == NATS_NOT_FOUND) err.js_code = JSStreamNotFoundErr;
    return nullptr;
  }
  return stream_info_ptr(si);
}

//! Reads messages [from_seq, to_seq] of a stream in order with an ordered consumer, calling
//! fn(msg, stream_seq). Stops at to_seq, or when the server no longer holds any message up to
//! to_seq (limits or a purge removed them after the read began). A quiet `idle` period alone
//! never ends the read short: a loaded server or client can stall longer than that, and a
//! silently short read would make a federated answer lack records. While the stream still holds
//! unread messages the read keeps waiting, up to 10 idle periods in a row without a message;
//! then it fails with `err` saying where it stopped. Returns false with `err` set on failure.
inline bool read_range(jsCtx* js, const std::string& stream, const std::string& subject,
                       std::uint64_t from_seq, std::uint64_t to_seq,
                       const std::function<void(natsMsg*, std::uint64_t)>& fn,
                       std::chrono::milliseconds idle, nats_error& err) {
  if (to_seq == 0 || from_seq > to_seq) return true;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = from_seq == 0 ? 1 : from_seq;
  natsSubscription* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto s = js_SubscribeSync(&raw, js, subject.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) return err = last_error(s, static_cast<int>(code)), false;
  sub_ptr sub(raw);
  natsSubscription_SetPendingLimits(sub.get(), 1 << 20, 1 << 30);
  std::uint64_t next = from_seq == 0 ? 1 : from_seq;  // first sequence not delivered yet
  int quiet = 0;
  for (;;) {
    natsMsg* m = nullptr;
    s = natsSubscription_NextMsg(&m, sub.get(), idle.count());
    if (s == NATS_TIMEOUT) {
      // Is anything in [next, to_seq] still there? Deleted messages are skipped by the
      // consumer, so only a stream that holds none of them any more ends the read here.
      auto si = stream_info(js, stream, err);
      if (!si) return false;
      if (si->State.Msgs == 0 || si->State.FirstSeq > to_seq || si->State.LastSeq < next)
        return true;
      if (++quiet >= 10) {
        err = {NATS_TIMEOUT, 0,
               "reading " + stream + " stalled at sequence " + std::to_string(next) + " of " +
                   std::to_string(to_seq) + " (no message for " +
                   std::to_string(10 * idle.count()) + " ms)"};
        return false;
      }
      continue;
    }
    if (s != NATS_OK) return err = last_error(s), false;
    quiet = 0;
    msg_ptr msg(m);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, m) != NATS_OK) continue;
    meta_ptr meta(md);
    const auto seq = md->Sequence.Stream;
    next = seq + 1;
    fn(m, seq);
    if (seq >= to_seq) return true;
  }
}

}  // namespace introspect::inline v1::jetstream::detail
