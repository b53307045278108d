#pragma once
//! Names on the JetStream side: subjects `introspect.<scope>.<stream>`, stream names
//! `IX_<scope>_<stream>` and message ids `<scope>/<stream>/<offset>` (docs/jetstream.md).
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace introspect::inline v1::jetstream {

//! First token of every subject the forwarder publishes on.
inline constexpr std::string_view subject_root = "introspect";

//! Header names carried by every forwarded message. Two headers, not one per field: each
//! header costs the client a hash insert and the server a parse, and with four headers the
//! publish rate halved (docs/jetstream.md, "Measured").
namespace header {
inline constexpr const char* msg_id = "Nats-Msg-Id";  //!< `<scope>/<stream>/<offset>`
inline constexpr const char* ix = "Ix";  //!< `<ts_ns> <kind> <flags>` of the frame, decimal
}  // namespace header

//! The frame fields carried in the `Ix` header.
struct frame_fields {
  std::int64_t ts_ns = 0;
  std::uint8_t kind = 0, flags = 0;
};

//! Formats the `Ix` header value into `buf` (at least 48 bytes); returns its length.
inline std::size_t format_ix(char* buf, const frame_fields& f) {
  auto r = std::to_chars(buf, buf + 20, f.ts_ns);
  *r.ptr++ = ' ';
  r = std::to_chars(r.ptr, r.ptr + 3, unsigned{f.kind});
  *r.ptr++ = ' ';
  r = std::to_chars(r.ptr, r.ptr + 3, unsigned{f.flags});
  *r.ptr = '\0';
  return static_cast<std::size_t>(r.ptr - buf);
}

//! Parses an `Ix` header value.
inline std::optional<frame_fields> parse_ix(std::string_view s) {
  frame_fields f;
  unsigned k = 0, fl = 0;
  const char* e = s.data() + s.size();
  auto r = std::from_chars(s.data(), e, f.ts_ns);
  if (r.ec != std::errc{} || r.ptr == e || *r.ptr != ' ') return std::nullopt;
  r = std::from_chars(r.ptr + 1, e, k);
  if (r.ec != std::errc{} || r.ptr == e || *r.ptr != ' ' || k > 255) return std::nullopt;
  r = std::from_chars(r.ptr + 1, e, fl);
  if (r.ec != std::errc{} || r.ptr != e || fl > 255) return std::nullopt;
  f.kind = static_cast<std::uint8_t>(k);
  f.flags = static_cast<std::uint8_t>(fl);
  return f;
}

//! The store offset at the end of a `Nats-Msg-Id` (`<scope>/<stream>/<offset>`).
inline std::optional<std::uint64_t> offset_of_msg_id(std::string_view id) {
  const auto slash = id.rfind('/');
  if (slash == std::string_view::npos || slash + 1 == id.size()) return std::nullopt;
  std::uint64_t v = 0;
  auto r = std::from_chars(id.data() + slash + 1, id.data() + id.size(), v);
  if (r.ec != std::errc{} || r.ptr != id.data() + id.size()) return std::nullopt;
  return v;
}

namespace detail {

inline bool plain_char(unsigned char c, bool keep_underscore) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         (keep_underscore && c == '_');
}

// Bytes outside the plain set become `~XX` (upper-case hex): reversible, so two different store
// names never share a subject, and the result is a valid subject token and stream-name part.
inline std::string escape(std::string_view s, bool keep_underscore) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (plain_char(c, keep_underscore)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('~');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64-bit FNV-1a: only to keep over-long stream names unique, not for security.
inline std::uint64_t fnv1a(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace detail

//! The subject token of a scope or stream name: `[A-Za-z0-9_-]` kept, other bytes `~XX`.
inline std::string subject_token(std::string_view name) { return detail::escape(name, true); }

//! Inverse of subject_token(); nullopt for a token subject_token() cannot produce.
inline std::optional<std::string> decode_token(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (c == '~') {
      if (i + 2 >= token.size()) return std::nullopt;
      const int hi = detail::hex_value(token[i + 1]), lo = detail::hex_value(token[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const auto b = static_cast<unsigned char>(hi * 16 + lo);
      if (detail::plain_char(b, true)) return std::nullopt;  // not canonical
      out.push_back(static_cast<char>(b));
      i += 2;
    } else if (detail::plain_char(c, true)) {
      out.push_back(static_cast<char>(c));
    } else {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

//! `introspect.<scope>.<stream>`.
inline std::string subject_of(std::string_view scope, std::string_view stream) {
  return std::string(subject_root) + '.' + subject_token(scope) + '.' + subject_token(stream);
}

//! `introspect.<scope>.*` (every stream of one scope).
inline std::string scope_wildcard(std::string_view scope) {
  return std::string(subject_root) + '.' + subject_token(scope) + ".*";
}

//! Scope and stream of a subject_of() subject.
struct subject_parts {
  std::string scope, stream;
};

//! Parses `introspect.<scope>.<stream>`; nullopt for any other subject.
inline std::optional<subject_parts> parse_subject(std::string_view subject) {
  const auto root = std::string(subject_root) + '.';
  if (!subject.starts_with(root)) return std::nullopt;
  subject.remove_prefix(root.size());
  const auto dot = subject.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto scope = decode_token(subject.substr(0, dot));
  auto stream = decode_token(subject.substr(dot + 1));
  if (!scope || !stream) return std::nullopt;
  return subject_parts{std::move(*scope), std::move(*stream)};
}

//! Longest JetStream stream name we generate (the server uses it as a directory name).
inline constexpr std::size_t max_stream_name = 200;

namespace detail {
// `n` if it fits in max_stream_name, else a prefix of it and `~<16 hex digits of FNV-1a of n>`.
inline std::string bounded_stream_name(std::string n) {
  if (n.size() <= max_stream_name) return n;
  static constexpr char hex[] = "0123456789abcdef";
  const auto h = fnv1a(n);
  n.resize(max_stream_name - 17);
  n.push_back('~');
  for (int i = 15; i >= 0; --i) n.push_back(hex[(h >> (4 * i)) & 15]);
  return n;
}
}  // namespace detail

//! `IX_<scope>_<stream>`, each part with `_` escaped too (so the separators are unambiguous);
//! names longer than max_stream_name keep a prefix and end in `~<16 hex digits of FNV-1a>`.
inline std::string stream_name_of(std::string_view scope, std::string_view stream) {
  return detail::bounded_stream_name("IX_" + detail::escape(scope, false) + '_' +
                                     detail::escape(stream, false));
}

//! The `Nats-Msg-Id` of a record: `<scope>/<stream>/<offset>` (store names have no `/`).
inline std::string msg_id(std::string_view scope, std::string_view stream, std::uint64_t offset) {
  std::string id;
  id.reserve(scope.size() + stream.size() + 22);
  id.append(scope).push_back('/');
  id.append(stream).push_back('/');
  id.append(std::to_string(offset));
  return id;
}

//! `url` (one URL or a comma-separated list) fit for an error message: the user information
//! of each URL (`user:password@`, or a token) becomes `<redacted>@`.
inline std::string redact_url(std::string_view url) {
  std::string out;
  for (std::size_t start = 0;;) {
    const auto end = url.find(',', start);
    auto one = url.substr(start, end == std::string_view::npos ? url.npos : end - start);
    const auto scheme = one.find("://");
    const auto host_from = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto at = one.find('@', host_from);
    if (!out.empty()) out += ',';
    if (at == std::string_view::npos) {
      out += one;
    } else {
      out += one.substr(0, host_from);
      out += "<redacted>";
      out += one.substr(at);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace introspect::inline v1::jetstream
