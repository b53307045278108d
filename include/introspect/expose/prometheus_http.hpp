#pragma once
//! The live Prometheus endpoint of expose::prometheus_http: `GET /metrics` served from the
//! metric registry by cpp-httplib (link introspect::http). Include it where the introspection
//! type is defined; a build that does not select the policy never includes it.
//!
//! @code
//! using ins_t = ix::introspection<ix::tier::large, ix::expose::prometheus_http>;
//! ins_t::configure({.store = "/var/lib/product/introspection"},
//!                  {.listen = "127.0.0.1:9464", .name_patterns = {"disk.{disk}.*"}});
//! @endcode
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <httplib.h>

#include <introspect/core/error_handler.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/expose/options.hpp>
#include <introspect/expose/registry_exposition.hpp>
#include <introspect/policy/expose.hpp>

namespace introspect::inline v1::expose {

namespace detail {

//! HOST and PORT of a listen option; port -1 when it does not parse.
struct listen_address {
  std::string host = "127.0.0.1";
  int port = -1;
};

inline listen_address parse_listen(std::string_view s) {
  listen_address a;
  std::string_view port = s;
  if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
    auto host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);  // [::1]:9464
    if (!host.empty()) a.host = std::string{host};
    port = s.substr(colon + 1);
  }
  int p = -1;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec == std::errc{} && end == port.data() + port.size() && p >= 0 && p <= 65535) a.port = p;
  return a;
}

// Compares in time independent of where the strings differ, so a token cannot be guessed byte
// by byte from response times.
inline bool same_secret(std::string_view a, std::string_view b) noexcept {
  unsigned char d = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    d |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return d == 0;
}

}  // namespace detail

//! Serves `GET /metrics` for one introspection instance from a thread of its own.
//!
//! A scrape reads the registry's cells (relaxed loads) under the registry's shared lock, which
//! the product's recording calls never wait for (only registering a new name does), and
//! formats under a mutex of the endpoint's own. SIGPIPE is blocked in the endpoint's threads
//! and the product's SIGPIPE disposition is restored after httplib's constructor changes it.
template <class Engine>
class prometheus_http_endpoint {
 public:
  using options = prometheus_http_options;
  //! The listener thread and httplib's two workers.
  static constexpr int threads = 3;

  prometheus_http_endpoint(Engine& engine, options o) : engine_(engine), opts_(std::move(o)) {
    if (opts_.listen.empty()) return;
    try {
      start();
    } catch (const std::exception& e) {  // never the product's problem: it runs unobserved
      fail(e.what());
    }
  }
  prometheus_http_endpoint(const prometheus_http_endpoint&) = delete;
  prometheus_http_endpoint& operator=(const prometheus_http_endpoint&) = delete;
  ~prometheus_http_endpoint() { stop(); }

  //! The bound port (useful after port 0), or 0 when the endpoint is not listening.
  [[nodiscard]] int port() const noexcept { return port_; }
  //! Why the endpoint is not listening although `listen` was set; empty otherwise.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  //! Scrapes served so far.
  [[nodiscard]] std::uint64_t scrapes() const noexcept {
    return scrapes_.load(std::memory_order_relaxed);
  }

  //! Stops serving (idempotent); the destructor calls it.
  void stop() noexcept {
    if (server_ && thread_.joinable()) {
      // httplib's stop() does nothing until the listener runs: a stop right after the start
      // (a product that configures and exits at once) would leave it in accept() for ever.
      while (!server_->is_running() && !listener_done_.load(std::memory_order_acquire))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      server_->stop();
    }
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

 private:
  void start() {
    const auto addr = detail::parse_listen(opts_.listen);
    if (addr.port < 0)
      return fail("listen \"" + opts_.listen + "\": expected HOST:PORT, :PORT or PORT");
    exposition_ =
        std::make_unique<registry_exposition>(exporters::name_mapping(opts_.name_patterns));
    {
      // httplib's constructor sets SIGPIPE to SIG_IGN for the whole process: a library must
      // not change the product's disposition, so it is put back at once.
      struct sigaction old {};
      ::sigaction(SIGPIPE, nullptr, &old);
      server_ = std::make_unique<httplib::Server>();
      ::sigaction(SIGPIPE, &old, nullptr);
    }
    // Two workers: a scrape while another client holds a keep-alive connection still runs.
    server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
    server_->set_keep_alive_timeout(2);
    server_->Get("/metrics",
                 [this](const httplib::Request& req, httplib::Response& res) { serve(req, res); });
    if (addr.port == 0) {
      const int p = server_->bind_to_any_port(addr.host);
      if (p <= 0) return fail("listen \"" + opts_.listen + "\": cannot bind " + addr.host);
      port_ = p;
    } else {
      if (!server_->bind_to_port(addr.host, addr.port))
        return fail("listen \"" + opts_.listen + "\": cannot bind (address in use or invalid)");
      port_ = addr.port;
    }
    thread_ = std::thread([this] {
      // Threads created from here (httplib's workers) inherit the mask: a client that goes
      // away mid-response must not kill the product with SIGPIPE.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
      server_->listen_after_bind();
      listener_done_.store(true, std::memory_order_release);
    });
  }

  void serve(const httplib::Request& req, httplib::Response& res) {
    if (!opts_.bearer_token.empty()) {
      const auto auth = req.get_header_value("Authorization");
      constexpr std::string_view scheme = "Bearer ";
      if (auth.size() <= scheme.size() || auth.compare(0, scheme.size(), scheme) != 0 ||
          !detail::same_secret(std::string_view{auth}.substr(scheme.size()), opts_.bearer_token)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer");
        res.set_content("401 unauthorized: a bearer token is required\n", "text/plain");
        return;
      }
    }
    const auto fmt =
        req.get_header_value("Accept").find("application/openmetrics-text") != std::string::npos
            ? exposition_format::openmetrics
            : exposition_format::prometheus_text;
    std::string body;
    {
      std::lock_guard lock(scrape_mutex_);
      exposition_->render(engine_.registry(), fmt, body);
    }
    scrapes_.fetch_add(1, std::memory_order_relaxed);
    res.set_content(body, std::string{content_type(fmt)});
  }

  void fail(std::string why) {
    error_ = std::move(why);
    port_ = 0;
    server_.reset();
    // Through the instance's on_error, else the process's handler (core/error_handler.hpp).
    if (opts_.report_errors)
      introspect::detail::report_error(on_error(), "Prometheus endpoint not started: %s",
                                       error_.c_str());
  }

  error_handler on_error() const noexcept {
    if constexpr (requires { engine_.cfg().on_error; })
      return engine_.cfg().on_error;
    else
      return nullptr;
  }

  Engine& engine_;
  options opts_;
  std::unique_ptr<registry_exposition> exposition_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex scrape_mutex_;
  std::atomic<std::uint64_t> scrapes_{0};
  std::atomic<bool> listener_done_{false};
  int port_ = 0;
  std::string error_;
};

}  // namespace introspect::inline v1::expose

namespace introspect::inline v1::detail {
template <class Engine>
struct endpoint_for<expose::prometheus_http, Engine> {
  static_assert(
      requires(Engine & e) { e.registry(); },
      "expose::prometheus_http serves the metric registry of a stream-store sink "
      "(tier small and up); sink::jsonl_file and sink::null keep none");
  using type = expose::prometheus_http_endpoint<Engine>;
};
}  // namespace introspect::inline v1::detail
