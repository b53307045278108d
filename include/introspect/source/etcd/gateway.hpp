#pragma once
//! POST requests to etcd's v3 JSON gateway through cpp-httplib: bounded timeouts, an optional
//! auth token, streamed bodies for watches, and an interrupt that is safe from another thread.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include <introspect/detail/sigpipe.hpp>
#include <introspect/source/detail/http_endpoint.hpp>

namespace introspect::inline v1::etcd {

//! What became of one request: whether the server answered, with which status and body, and if
//! not (or if the transfer broke off) why.
struct http_result {
  bool responded = false;  // a status line and headers arrived
  int status = 0;
  bool aborted = false;  // the caller's receiver stopped the transfer
  std::string body;      // the whole body (requests without a receiver)
  std::string error;     // the transport error ("Connection", "Read", ...) or empty
};

//! TLS material for an https endpoint (PEM file paths; empty = not used).
struct tls_files {
  std::string ca_file;    // the only CA trusted when given; else the system's
  std::string cert_file;  // client certificate
  std::string key_file;   // its private key
};

//! One connection to an etcd member's gateway, used by one thread (interrupt() excepted).
class gateway {
 public:
  //! Receives body bytes; returning false stops the transfer.
  using receiver = std::function<bool(std::string_view)>;

  gateway(const std::string& endpoint, std::chrono::milliseconds connect_timeout,
          std::chrono::milliseconds read_timeout, const tls_files& tls_opts = {},
          bool tcp_nodelay = true)
      : endpoint_(endpoint) {
    const auto ep = source::detail::parse_http_endpoint(endpoint, false, 2379, "etcd endpoint");
    if (!ep.ok()) {
      setup_error_ = ep.error;
      return;
    }
    const bool tls = ep.tls;
    const std::string& host = ep.host;
    const int port = ep.port;
    prefix_ = ep.prefix;  // a gateway behind a proxy path
    if (tls) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      if (!make_tls_client(host, port, tls_opts)) return;
#else
      (void)tls_opts;
      setup_error_ = "https needs cpp-httplib built with CPPHTTPLIB_OPENSSL_SUPPORT";
      return;
#endif
    } else {
      client_ = std::make_unique<httplib::ClientImpl>(host, port);
    }
    client_->set_connection_timeout(connect_timeout);
    client_->set_read_timeout(read_timeout);
    client_->set_write_timeout(read_timeout);
    client_->set_keep_alive(true);  // the pages of a snapshot reuse one connection
    // Each range request is a small POST answered on the same connection: with Nagle's
    // algorithm the request waits for the previous reply's delayed ACK (~40 ms per page).
    client_->set_tcp_nodelay(tcp_nodelay);
    client_->set_follow_location(false);
  }
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;
  // Closing a TLS connection writes a close_notify alert: SIGPIPE if the server is gone.
  ~gateway() {
    introspect::detail::sigpipe_guard no_sigpipe;
    client_.reset();
  }

  //! Whether requests go over TLS.
  bool tls() const noexcept { return tls_; }

  //! Empty when the gateway is usable; otherwise why not (a malformed endpoint).
  const std::string& setup_error() const noexcept { return setup_error_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

  //! The auth token sent with every request ("" = none).
  void set_token(std::string t) { token_ = std::move(t); }
  const std::string& token() const noexcept { return token_; }

  //! How long a streamed request may go without bytes.
  void set_read_timeout(std::chrono::milliseconds t) {
    if (client_) client_->set_read_timeout(t);
  }

  //! POSTs the JSON `body` to `path` ("/v3/kv/range"); the response body is collected in the
  //! result, or streamed to `rx` when one is given. Never throws.
  http_result post(const std::string& path, std::string body,
                   const receiver* rx = nullptr) noexcept {
    http_result out;
    if (!client_) {
      out.error = setup_error_;
      return out;
    }
    introspect::detail::sigpipe_guard no_sigpipe;  // writes to a server that left
    try {
      httplib::Request req;
      req.method = "POST";
      req.path = prefix_ + path;
      req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      if (!token_.empty()) req.headers.emplace("Authorization", token_);
      req.body = std::move(body);
      req.response_handler = [&](const httplib::Response& r) {
        out.responded = true;
        out.status = r.status;
        return true;
      };
      req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
        if (rx == nullptr) {
          out.body.append(data, n);
          return true;
        }
        if ((*rx)({data, n})) return true;
        out.aborted = true;
        return false;
      };
      httplib::Response res;
      httplib::Error err = httplib::Error::Success;
      if (!client_->send(req, res, err) && !(out.aborted && err == httplib::Error::Canceled))
        out.error = httplib::to_string(err);
    } catch (const std::exception& e) {
      out.error = e.what();
    } catch (...) {
      out.error = "unknown exception";
    }
    return out;
  }

  //! Breaks off the request in flight (from any thread): its socket is shut down. Without a
  //! request in flight the idle connection is closed on the caller's thread (a TLS alert may be
  //! written): SIGPIPE is kept from the caller too.
  void interrupt() noexcept {
    introspect::detail::sigpipe_guard no_sigpipe;
    if (client_) client_->stop();
  }

 private:
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  bool make_tls_client(const std::string& host, int port, const tls_files& t) {
    tls_ = true;
    if (t.cert_file.empty() != t.key_file.empty()) {
      setup_error_ = "etcd endpoint '" + endpoint_ + "': a client certificate needs its key";
      return false;
    }
    std::unique_ptr<httplib::SSLClient> c;
    if (!t.cert_file.empty())
      c = std::make_unique<httplib::SSLClient>(host, port, t.cert_file, t.key_file);
    else
      c = std::make_unique<httplib::SSLClient>(host, port);
    if (!c->is_valid()) {
      setup_error_ = "etcd endpoint '" + endpoint_ + "': cannot load the client certificate '" +
                     t.cert_file + "' or key '" + t.key_file + "'";
      return false;
    }
    // A named CA file is loaded instead of the system's default paths (httplib's rule).
    if (!t.ca_file.empty()) {
      if (std::FILE* f = std::fopen(t.ca_file.c_str(), "r"))
        std::fclose(f);
      else {
        setup_error_ = "etcd CA file '" + t.ca_file + "': " + std::string{std::strerror(errno)};
        return false;
      }
      c->set_ca_cert_path(t.ca_file.c_str());
    }
    c->enable_server_certificate_verification(true);
    client_ = std::move(c);
    return true;
  }
#endif

  bool tls_ = false;
  std::string endpoint_;
  std::string prefix_;
  std::string setup_error_;
  std::string token_;
  std::unique_ptr<httplib::ClientImpl> client_;
};

}  // namespace introspect::inline v1::etcd
