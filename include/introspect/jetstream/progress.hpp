#pragma once
//! jetstream progress reports: each forwarder publishes, per stream of its scope, how far its
//! store reaches and how far JetStream has acknowledged it, so a federated reader can tell a
//! complete view from one that is still behind (docs/jetstream.md, "What a federated query
//! guarantees").
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/names.hpp>

namespace introspect::inline v1::jetstream {

//! First token of the progress subjects; `introspect-progress.` never parses as a data subject
//! (`introspect.<scope>.<stream>`), so readers that list data streams never see these.
inline constexpr std::string_view progress_root = "introspect-progress";

//! `introspect-progress.<tok(scope)>`: the subject of one scope's progress reports.
inline std::string progress_subject(std::string_view scope) {
  return std::string(progress_root) + '.' + subject_token(scope);
}

//! `IXP_<tokN(scope)>`: the JetStream stream keeping the last progress report of one scope.
inline std::string progress_stream_of(std::string_view scope) {
  return detail::bounded_stream_name("IXP_" + detail::escape(scope, false));
}

//! One store stream as its forwarder last reported it.
struct stream_progress {
  std::string stream;              //!< store stream name
  std::uint64_t acked_offset = 0;  //!< JetStream acknowledged every record below this offset
  std::uint64_t store_end = 0;     //!< the store held records up to here (at least)
  bool operator==(const stream_progress&) const = default;
};

//! One scope's (instance's) last progress report.
struct scope_progress {
  std::int64_t reported_ns = 0;  //!< wall-clock time of the report (CLOCK_REALTIME)
  bool stopped = false;          //!< the forwarder's final report: it has stopped since
  std::vector<stream_progress> streams;
};

inline constexpr std::string_view progress_magic_line = "ixjs-progress 1\n";

//! Text form: magic line, `<reported_ns> running|stopped`, then `<acked> <end> <stream>` lines.
inline std::string encode_progress(const scope_progress& p) {
  std::string s(progress_magic_line);
  s += std::to_string(p.reported_ns);
  s += p.stopped ? " stopped\n" : " running\n";
  for (const auto& st : p.streams) {
    s += std::to_string(st.acked_offset) + ' ' + std::to_string(st.store_end) + ' ';
    s += st.stream;
    s += '\n';
  }
  return s;
}

//! Parses encode_progress(); nullopt for anything else (a foreign or damaged message).
inline std::optional<scope_progress> decode_progress(std::string_view s) {
  if (!s.starts_with(progress_magic_line)) return std::nullopt;
  s.remove_prefix(progress_magic_line.size());
  auto line = [&](std::string_view& out) {
    const auto nl = s.find('\n');
    if (nl == std::string_view::npos) return false;
    out = s.substr(0, nl);
    s.remove_prefix(nl + 1);
    return true;
  };
  auto number = [](std::string_view& l, auto& v) {
    auto r = std::from_chars(l.data(), l.data() + l.size(), v);
    if (r.ec != std::errc{} || r.ptr == l.data() + l.size() || *r.ptr != ' ') return false;
    l.remove_prefix(static_cast<std::size_t>(r.ptr - l.data()) + 1);
    return true;
  };
  scope_progress p;
  std::string_view l;
  if (!line(l) || !number(l, p.reported_ns)) return std::nullopt;
  if (l == "stopped")
    p.stopped = true;
  else if (l != "running")
    return std::nullopt;
  while (!s.empty()) {
    stream_progress st;
    if (!line(l) || !number(l, st.acked_offset) || !number(l, st.store_end) || l.empty())
      return std::nullopt;
    st.stream = std::string(l);
    p.streams.push_back(std::move(st));
  }
  return p;
}

namespace detail {

//! Creates (or brings to our configuration) the stream keeping one scope's last report.
inline bool ensure_progress_stream(jsCtx* js, std::string_view scope, int replicas,
                                   nats_error& err) {
  const auto name = progress_stream_of(scope);
  const auto subject = progress_subject(scope);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {subject.c_str()};
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  cfg.MaxMsgs = 1;  // only the last report matters
  cfg.Discard = js_DiscardOld;
  jsErrCode code{};
  const auto st = add_or_update_stream(js, cfg, code);
  if (st != NATS_OK) return err = last_error(st, static_cast<int>(code)), false;
  return true;
}

//! Publishes one report and waits (at most `timeout`) for its acknowledgment.
inline bool publish_progress(jsCtx* js, std::string_view scope, const scope_progress& p,
                             std::chrono::milliseconds timeout, nats_error& err) {
  const auto subject = progress_subject(scope);
  const auto data = encode_progress(p);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  jsPubAck* pa = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto st =
      js_Publish(&pa, js, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &code);
  if (pa) jsPubAck_Destroy(pa);
  if (st != NATS_OK) return err = last_error(st, static_cast<int>(code)), false;
  return true;
}

//! The last message of `subject` in `stream`; nullptr without error when there is none.
inline msg_ptr last_message(jsCtx* js, const std::string& stream, const std::string& subject,
                            nats_error& err) {
  natsMsg* m = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  auto st = js_GetLastMsg(&m, js, stream.c_str(), subject.c_str(), nullptr, &code);
  if (st == NATS_OK) return msg_ptr(m);
  if (st == NATS_NOT_FOUND || code == JSNoMessageFoundErr || code == JSStreamNotFoundErr)
    return nullptr;
  auto e = last_error(st, static_cast<int>(code));
  // libnats 3.4 reports a missing stream to js_GetLastMsg with no JetStream code, only this
  // text (seen under load in cli_federated): absent, not a failure.
  if (text_has(e.text, "stream not found") || text_has(e.text, "no message found")) return nullptr;
  err = std::move(e);
  return nullptr;
}

//! The last report of `scope`; nullopt when it has none (or it does not decode), with `err`
//! set only when the server could not be asked.
inline std::optional<scope_progress> read_progress(jsCtx* js, std::string_view scope,
                                                   nats_error& err) {
  auto m = last_message(js, progress_stream_of(scope), progress_subject(scope), err);
  if (!m) return std::nullopt;
  const char* data = natsMsg_GetData(m.get());
  const auto len = natsMsg_GetDataLength(m.get());
  return decode_progress(std::string_view(data ? data : "", static_cast<std::size_t>(len)));
}

}  // namespace detail

}  // namespace introspect::inline v1::jetstream
