#pragma once
//! jetstream::fetcher: reads back what forwarders published — every `introspect.<scope>.<stream>`
//! stream whose scope matches a glob — and decodes each message into an introspect::record
//! (instance = scope). The federated query is built on it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/core/glob.hpp>
#include <introspect/core/record.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress.hpp>
#include <introspect/store/files.hpp>

namespace introspect::inline v1::jetstream {

//! A failure to reach or read JetStream; `cause` says which kind.
class error : public std::runtime_error {
 public:
  error(error_cause c, const std::string& what) : std::runtime_error(what), cause_(c) {}
  error_cause cause() const noexcept { return cause_; }

 private:
  error_cause cause_;
};

//! Where and how to read.
struct fetch_options {
  std::string url = "nats://127.0.0.1:4222";  //!< one URL or a comma-separated list
  std::string user, password;
  std::chrono::milliseconds timeout{2000};  //!< connect, requests, and idle end of a read
};

//! One JetStream stream fed by a forwarder.
struct remote_stream {
  std::string scope, stream;     //!< store names, decoded from the subject
  std::string subject, js_name;  //!< `introspect.<scope>.<stream>` and the JetStream name
  std::uint64_t messages = 0, bytes = 0, first_seq = 0, last_seq = 0;
  std::int64_t first_time_ns = 0, last_time_ns = 0;  //!< JetStream's storage times
};

//! A decoded message: the record plus where it came from.
struct fetched_record {
  record rec;                //!< ts and kind from the Ix header, instance = the scope
  std::string stream;        //!< store stream name
  std::uint64_t offset = 0;  //!< store offset (from the Nats-Msg-Id)
  std::uint64_t seq = 0;     //!< JetStream sequence
};

//! Opens a reading connection and its JetStream context for `o` (named `name`, reconnecting or
//! not); throws jetstream::error with the reason when either fails.
inline void connect_reader(const fetch_options& o, const char* name, bool reconnect,
                           detail::conn_ptr& conn, detail::js_ptr& js_out) {
  detail::connect_settings cs;
  cs.url = o.url;
  cs.user = o.user;
  cs.password = o.password;
  cs.name = name;
  cs.timeout = o.timeout;
  cs.reconnect = reconnect;
  detail::nats_error err;
  conn = detail::connect(cs, err);
  if (!conn) throw error(detail::classify(err.status, err.js_code, err.text), err.text);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o.timeout.count();
  jsCtx* js = nullptr;
  if (auto s = natsConnection_JetStream(&js, conn.get(), &jo); s != NATS_OK)
    throw error(error_cause::no_jetstream, "JetStream context: " + detail::last_error(s).text);
  js_out.reset(js);
}

//! Reads forwarded records from a JetStream server (or cluster).
class fetcher {
 public:
  //! Connects; throws jetstream::error with a clear message when it cannot.
  explicit fetcher(fetch_options o) : opt_(std::move(o)) {
    connect_reader(opt_, "introspect-fetch", false, conn_, js_);
  }

  //! Every forwarded stream whose scope matches `scope_glob`, sorted by scope then stream.
  std::vector<remote_stream> streams(std::string_view scope_glob = "*") const {
    jsStreamInfoList* list = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto s = js_Streams(&list, js_.get(), nullptr, &code);
    std::vector<remote_stream> out;
    if (s == NATS_NOT_FOUND) return out;  // no stream at all
    if (s != NATS_OK) {
      auto e = detail::last_error(s, static_cast<int>(code));
      throw error(detail::classify(e.status, e.js_code, e.text), "list streams: " + e.text);
    }
    for (int i = 0; i < list->Count; ++i) {
      auto* si = list->List[i];
      if (!si->Config || si->Config->SubjectsLen != 1) continue;
      auto parts = parse_subject(si->Config->Subjects[0]);
      if (!parts || !glob_match(scope_glob, parts->scope)) continue;
      remote_stream r;
      r.scope = parts->scope;
      r.stream = parts->stream;
      r.subject = si->Config->Subjects[0];
      r.js_name = si->Config->Name;
      r.messages = si->State.Msgs;
      r.bytes = si->State.Bytes;
      r.first_seq = si->State.FirstSeq;
      r.last_seq = si->State.LastSeq;
      r.first_time_ns = si->State.FirstTime;
      r.last_time_ns = si->State.LastTime;
      out.push_back(std::move(r));
    }
    jsStreamInfoList_Destroy(list);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
      return std::tie(a.scope, a.stream) < std::tie(b.scope, b.stream);
    });
    return out;
  }

  //! Calls fn for every message of `rs` from `from_seq` to the stream's last sequence when the
  //! read began, in sequence order; returns how many were delivered. A message whose payload
  //! does not decode is counted in undecodable() and skipped.
  std::uint64_t read(const remote_stream& rs, const std::function<void(fetched_record&)>& fn,
                     std::uint64_t from_seq = 0) {
    detail::nats_error err;
    auto si = detail::stream_info(js_.get(), rs.js_name, err);
    if (!si) throw error(detail::classify(err.status, err.js_code, err.text), err.text);
    const auto last = si->State.LastSeq;
    if (si->State.Msgs == 0) return 0;
    std::uint64_t n = 0;
    fetched_record fr;
    const bool ok = detail::read_range(
        js_.get(), rs.js_name, rs.subject, std::max(from_seq, si->State.FirstSeq), last,
        [&](natsMsg* m, std::uint64_t seq) {
          if (!decode(m, rs, fr)) {
            ++undecodable_;
            return;
          }
          fr.seq = seq;
          ++n;
          fn(fr);
        },
        opt_.timeout, err);
    if (!ok) throw error(detail::classify(err.status, err.js_code, err.text), err.text);
    return n;
  }

  //! read() over every stream of streams(scope_glob).
  std::uint64_t read_all(std::string_view scope_glob,
                         const std::function<void(fetched_record&)>& fn) {
    std::uint64_t n = 0;
    for (auto& rs : streams(scope_glob)) n += read(rs, fn);
    return n;
  }

  //! The last progress report of `scope` (jetstream/progress.hpp); nullopt when it has none.
  std::optional<scope_progress> progress(std::string_view scope) const {
    detail::nats_error err;
    auto p = detail::read_progress(js_.get(), scope, err);
    if (!p && err.status != NATS_OK)
      throw error(detail::classify(err.status, err.js_code, err.text),
                  "read progress of " + std::string(scope) + ": " + err.text);
    return p;
  }

  //! The store offset just past the last record `rs` holds (0 when it holds none): JetStream
  //! has the instance's store up to here (the forwarder publishes in offset order).
  std::uint64_t published_end(const remote_stream& rs) const {
    detail::nats_error err;
    auto m = detail::last_message(js_.get(), rs.js_name, rs.subject, err);
    if (!m) {
      if (err.status != NATS_OK)
        throw error(detail::classify(err.status, err.js_code, err.text),
                    "last message of " + rs.js_name + ": " + err.text);
      return 0;
    }
    const auto off = detail::offset_of(m.get());
    if (!off) return 0;
    return *off + store::frame_overhead +
           static_cast<std::uint64_t>(natsMsg_GetDataLength(m.get()));
  }

  //! Messages skipped because their payload or headers did not decode.
  std::uint64_t undecodable() const noexcept { return undecodable_; }

  //! Decodes one forwarded message (headers + binary payload) into `out`.
  static bool decode(natsMsg* m, const remote_stream& rs, fetched_record& out) {
    auto ix = parse_ix(detail::header_of(m, header::ix));
    auto off = detail::offset_of(m);
    if (!ix || !off) return false;
    const char* data = natsMsg_GetData(m);
    const auto len = natsMsg_GetDataLength(m);
    out.rec = record{};
    if (!codec::decode(std::string_view(data ? data : "", static_cast<std::size_t>(len)), out.rec))
      return false;
    out.rec.ts_ns = ix->ts_ns;
    out.rec.kind = static_cast<record_kind>(ix->kind);
    out.rec.instance = rs.scope;
    out.stream = rs.stream;
    out.offset = *off;
    return true;
  }

 private:
  fetch_options opt_;
  detail::conn_ptr conn_;
  detail::js_ptr js_;
  std::uint64_t undecodable_ = 0;
};

//! Every record of the streams of scopes matching `scope_glob`, stream by stream in sequence
//! order; throws jetstream::error when the server cannot be read.
inline std::vector<fetched_record> fetch(const fetch_options& o, std::string_view scope_glob) {
  fetcher f(o);
  std::vector<fetched_record> out;
  f.read_all(scope_glob, [&](fetched_record& r) { out.push_back(r); });
  return out;
}

}  // namespace introspect::inline v1::jetstream
