#pragma once
//! HTTP(S) requests to the kube-apiserver through cpp-httplib: TLS set up from a connection
//! (CA file or PEM, client certificate, bearer token re-read from its file), bounded
//! timeouts, streamed bodies for watches, and an interrupt that is safe from another thread.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include <introspect/detail/sigpipe.hpp>
#include <introspect/source/detail/http_endpoint.hpp>
#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/detail/read_file.hpp>
#include <introspect/source/kubernetes/options.hpp>

namespace introspect::inline v1::kubernetes {

//! What became of one request: whether the server answered, with which status, and if not
//! (or if the transfer broke off) why.
struct http_outcome {
  bool responded = false;  // a status line and headers arrived
  int status = 0;
  bool aborted = false;  // the caller's receiver stopped the transfer
  std::string error;     // the transport error ("Connection", "Read", ...) or empty
};

//! One connection to the API server, used by one thread at a time (interrupt() excepted).
class api_client {
 public:
  //! Receives body bytes; returning false stops the transfer.
  using receiver = std::function<bool(std::string_view)>;

  api_client(const connection& c, const options& o) : conn_(c) {
    const auto ep = source::detail::parse_http_endpoint(c.server, true, 80);
    if (!ep.ok()) {
      setup_error_ = ep.error;
      return;
    }
    const bool tls = ep.tls;
    const std::string& host = ep.host;
    const int port = ep.port;
    prefix_ = ep.prefix;  // an API server behind a proxy path (/k8s/clusters/x)
    host_ = host;
    if (!tls && (!c.token.empty() || !c.token_file.empty()) && !o.allow_token_over_http) {
      // A bearer token sent in clear is a credential handed to anyone on the path.
      setup_error_ = "refusing to send a bearer token over plain http to '" + c.server +
                     "': use https, or set options::allow_token_over_http";
      return;
    }
    if (tls) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
      if (!make_tls_client(host, port)) return;
#else
      setup_error_ = "https needs cpp-httplib built with CPPHTTPLIB_OPENSSL_SUPPORT";
      return;
#endif
    } else {
      client_ = std::make_unique<httplib::ClientImpl>(host, port);
    }
    client_->set_connection_timeout(o.connect_timeout);
    client_->set_read_timeout(o.read_timeout);
    client_->set_write_timeout(o.read_timeout);
    client_->set_keep_alive(true);  // lists reuse the connection
    client_->set_follow_location(false);
    client_->set_decompress(true);
  }
  api_client(const api_client&) = delete;
  api_client& operator=(const api_client&) = delete;
  // Closing a TLS connection writes a close_notify alert: SIGPIPE if the server is gone.
  ~api_client() {
    introspect::detail::sigpipe_guard no_sigpipe;
    client_.reset();
  }

  //! How long the next requests may go without a byte (a list: options::read_timeout; a
  //! watch: its whole window). The stepping thread's only.
  void set_read_timeout(std::chrono::milliseconds d) {
    if (client_) client_->set_read_timeout(d);
  }

  //! Empty when the client is usable; otherwise why not (bad URL, unreadable CA...).
  const std::string& setup_error() const noexcept { return setup_error_; }

  //! GETs `path_and_query`, streaming the body to `rx`; `on_status` runs once the headers
  //! arrive and breaks the request off by returning false (as `rx` does). Never throws.
  http_outcome get(const std::string& path_and_query, const receiver& rx,
                   const std::function<bool(int)>& on_status = {}) noexcept {
    http_outcome out;
    if (!client_) {
      out.error = setup_error_;
      return out;
    }
    introspect::detail::sigpipe_guard no_sigpipe;  // writes to a server that left
    try {
      httplib::Headers headers{{"Accept", "application/json"}};
      std::string token = conn_.token;
      if (!conn_.token_file.empty()) {
        std::string error;
        if (!detail::read_file(conn_.token_file, token, error)) {
          out.error = "token: " + error;
          return out;
        }
        token = detail::trimmed(std::move(token));
      }
      if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
      auto res = client_->Get(
          prefix_ + path_and_query, headers,
          [&](const httplib::Response& r) {
            out.responded = true;
            out.status = r.status;
            if (!on_status || on_status(r.status)) return true;
            out.aborted = true;
            return false;
          },
          [&](const char* data, std::size_t n) {
            if (rx({data, n})) return true;
            out.aborted = true;
            return false;
          });
      if (!res && !(out.aborted && res.error() == httplib::Error::Canceled))
        out.error = describe(res.error());
    } catch (const std::exception& e) {
      out.error = e.what();
    } catch (...) {
      out.error = "unknown exception";
    }
    return out;
  }

  //! Breaks off the request in flight (from any thread): its socket is shut down. Without a
  //! request in flight the idle connection is closed here, on the caller's thread, which may
  //! write a TLS alert: SIGPIPE is kept from the caller (the product's thread) too.
  void interrupt() noexcept {
    introspect::detail::sigpipe_guard no_sigpipe;
    if (client_) client_->stop();
  }

 private:
  std::string describe(httplib::Error e) const {
    std::string s = httplib::to_string(e);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (e == httplib::Error::SSLServerVerification && tls_) {
      const long r = tls_->get_openssl_verify_result();
      // The chain verified ("ok") but httplib's own check of the name failed: say that, not
      // "(ok)", which reads as if nothing were wrong.
      if (r == X509_V_OK) {
        s += " (the server's certificate does not name ";
        s += host_;
      } else {
        s += " (";
        s += X509_verify_cert_error_string(r);
      }
      s += ")";
    }
#endif
    return s;
  }

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  // PEM text -> OpenSSL objects; each returns nullptr when the text holds none.
  static X509* pem_cert(const std::string& pem) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!b) return nullptr;
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    return x;
  }
  static EVP_PKEY* pem_key(const std::string& pem) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!b) return nullptr;
    EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    return k;
  }
  static X509_STORE* pem_store(const std::string& pem) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!b) return nullptr;
    X509_STORE* store = X509_STORE_new();
    int n = 0;
    while (X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr)) {
      if (X509_STORE_add_cert(store, x) == 1) ++n;
      X509_free(x);
    }
    ERR_clear_error();  // the loop ends on a "no start line" error: not a failure
    BIO_free(b);
    if (n == 0) {
      X509_STORE_free(store);
      return nullptr;
    }
    return store;
  }

  bool make_tls_client(const std::string& host, int port) {
    if (!conn_.client_cert_pem.empty()) {
      X509* cert = pem_cert(conn_.client_cert_pem);
      EVP_PKEY* key = pem_key(conn_.client_key_pem);
      if (!cert || !key) {
        if (cert) X509_free(cert);
        if (key) EVP_PKEY_free(key);
        setup_error_ = "client certificate or key is not valid PEM";
        return false;
      }
      // The SSL context keeps its own references.
      tls_ = new httplib::SSLClient(host, port, cert, key);
      X509_free(cert);
      EVP_PKEY_free(key);
    } else {
      tls_ = new httplib::SSLClient(host, port);
    }
    client_.reset(tls_);
    if (!tls_->is_valid()) {
      setup_error_ = "cannot create a TLS context";
      return false;
    }
    if (conn_.insecure_skip_tls_verify) {
      // kubectl's rule: a CA and the insecure flag together are a configuration error.
      if (!conn_.ca_pem.empty() || !conn_.ca_file.empty()) {
        setup_error_ =
            "a certificate authority and insecure-skip-tls-verify are given together: "
            "remove one (kubectl refuses this too)";
        return false;
      }
      tls_->enable_server_certificate_verification(false);
    } else if (!conn_.ca_pem.empty()) {
      X509_STORE* store = pem_store(conn_.ca_pem);
      if (!store) {
        setup_error_ = "certificate-authority data holds no PEM certificate";
        return false;
      }
      tls_->set_ca_cert_store(store);  // the SSL context takes ownership
      // Only the named CA is trusted, as kubectl does. Without a CA path httplib would add the
      // system's default verify paths (and $SSL_CERT_FILE) to this store when it connects; a
      // CA "directory" that can never hold a file keeps them out (and saves loading them).
      tls_->set_ca_cert_path(std::string{}, no_ca_directory);
    } else if (!conn_.ca_file.empty()) {
      tls_->set_ca_cert_path(conn_.ca_file.string());  // loaded instead of the system's CAs
    }
    return true;
  }

  // A path under /dev/null: no file can ever exist there, so OpenSSL's hash-directory lookup
  // finds nothing.
  static constexpr const char* no_ca_directory = "/dev/null/introspect-named-ca-only";

  httplib::SSLClient* tls_ = nullptr;  // client_ when the connection is TLS
#endif

  connection conn_;
  std::string host_;
  std::string prefix_;
  std::string setup_error_;
  std::unique_ptr<httplib::ClientImpl> client_;
};

}  // namespace introspect::inline v1::kubernetes
