#pragma once
//! One parser for the base URLs the threaded sources talk to (the kube-apiserver's `server`,
//! the etcd gateway's `endpoint`): scheme, host (IPv6 in brackets), port and a path prefix
//! kept for servers behind a proxy path.
#include <charconv>
#include <string>
#include <string_view>

namespace introspect::inline v1::source::detail {

//! A parsed base URL; `ok()` is false (and `error` says why) when it cannot be used.
struct http_endpoint {
  bool tls = false;
  std::string host;  // without brackets
  int port = 0;
  std::string prefix;  // "" or "/k8s/clusters/c-1" (no trailing slash)
  std::string error;
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

//! Parses "http(s)://host[:port][/prefix]". Without a scheme the URL is https when
//! `default_tls`, and refused otherwise ("expected http://host:port"). The port defaults to
//! 443 for https and `plain_port` for http.
inline http_endpoint parse_http_endpoint(std::string_view url, bool default_tls, int plain_port,
                                         std::string_view what = "server URL") {
  http_endpoint e;
  const auto bad = [&] {
    e.error = "invalid " + std::string{what} + " '" + std::string{url} +
              "' (expected http://host:port or https://host:port)";
    return e;
  };
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    e.tls = true;
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (default_tls && rest.find("://") == std::string_view::npos) {
    e.tls = true;
  } else {
    return bad();
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    e.prefix = std::string{rest.substr(slash)};
    rest = rest.substr(0, slash);
    while (!e.prefix.empty() && e.prefix.back() == '/') e.prefix.pop_back();
  }
  std::string_view host = rest;
  e.port = e.tls ? 443 : plain_port;
  if (const auto colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
    host = rest.substr(0, colon);
    const auto digits = rest.substr(colon + 1);
    int port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    e.port = ec == std::errc{} && end == digits.data() + digits.size() ? port : 0;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  e.host = std::string{host};
  if (e.host.empty() || e.port <= 0 || e.port > 65535) return bad();
  return e;
}

}  // namespace introspect::inline v1::source::detail
