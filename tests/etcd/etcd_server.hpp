#pragma once
// A real etcd member for one test case: random loopback ports, a temporary data directory,
// and a guard that stops it (and removes the directory) even when the case fails.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <httplib.h>
#include <simdjson.h>

#include <introspect/source/etcd/detail/base64.hpp>

namespace etcd_test {

// A port that was free a moment ago (the kernel hands out a fresh ephemeral port).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

//! A response of the JSON gateway, parsed.
struct reply {
  int status = 0;
  std::string body;
  std::int64_t revision = 0;  // header.revision, when present
};

class server {
 public:
  server() : client_port_(free_port()), peer_port_(free_port()) {
    while (peer_port_ == client_port_) peer_port_ = free_port();
    char tmpl[] = "/tmp/introspect-etcd-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start();
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() {
    kill();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  int port() const { return client_port_; }

  //! Starts etcd (again, on the same ports and data) and waits until it serves requests.
  void start() {
    if (pid_ > 0) return;
    const std::string client = url();
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    const std::string data = (dir_ / "data").string();
    const std::string log = (dir_ / "etcd.log").string();
    const std::string cluster = "default=" + peer;  // built before fork: the child only execs
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(INTROSPECT_ETCD_EXE, "etcd", "--data-dir", data.c_str(), "--name", "default",
              "--listen-client-urls", client.c_str(), "--advertise-client-urls", client.c_str(),
              "--listen-peer-urls", peer.c_str(), "--initial-advertise-peer-urls", peer.c_str(),
              "--initial-cluster", cluster.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("etcd exited at start; see " + log);
      }
      httplib::Client c("127.0.0.1", client_port_);
      c.set_connection_timeout(std::chrono::milliseconds(200));
      auto r = c.Post("/v3/kv/range", "{\"key\":\"AA==\"}", "application/json");
      if (r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill();
    throw std::runtime_error("etcd did not start within 20 s; see " + log);
  }

  //! Stops etcd at once (SIGKILL: a crash, as a test of failures wants).
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  reply post(const std::string& path, const std::string& body,
             const std::string& token = {}) const {
    httplib::Client c("127.0.0.1", client_port_);
    c.set_read_timeout(std::chrono::seconds(5));
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", token);
    auto r = c.Post(path, h, body, "application/json");
    if (!r) throw std::runtime_error("POST " + path + " failed: " + httplib::to_string(r.error()));
    reply out{r->status, r->body, 0};
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (p.parse(out.body).get(doc) == simdjson::SUCCESS) {
      std::string_view rev;
      if (doc["header"]["revision"].get_string().get(rev) == simdjson::SUCCESS)
        out.revision = std::stoll(std::string(rev));
    }
    return out;
  }

  static std::string b64(std::string_view s) { return introspect::etcd::detail::base64_encode(s); }

  //! Writes `key` = `value` (optionally with a lease); returns the revision of the write.
  std::int64_t put(std::string_view key, std::string_view value, std::int64_t lease = 0,
                   const std::string& token = {}) const {
    std::string body = "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"";
    if (lease != 0) body += ",\"lease\":\"" + std::to_string(lease) + "\"";
    const auto r = post("/v3/kv/put", body + "}", token);
    if (r.status != 200 || r.revision == 0) throw std::runtime_error("put failed: " + r.body);
    return r.revision;
  }

  //! Deletes `key`; returns the revision of the delete.
  std::int64_t del(std::string_view key) const {
    const auto r = post("/v3/kv/deleterange", "{\"key\":\"" + b64(key) + "\"}");
    if (r.status != 200 || r.revision == 0) throw std::runtime_error("delete failed: " + r.body);
    return r.revision;
  }

  //! Compacts the history up to `revision` (physical: waits until it is applied).
  void compact(std::int64_t revision) const {
    const auto r = post("/v3/kv/compaction",
                        "{\"revision\":\"" + std::to_string(revision) + "\",\"physical\":true}");
    if (r.status != 200) throw std::runtime_error("compaction failed: " + r.body);
  }

  //! Grants a lease of `ttl` seconds; returns its id.
  std::int64_t grant_lease(int ttl) const {
    const auto r = post("/v3/lease/grant", "{\"TTL\":\"" + std::to_string(ttl) + "\"}");
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    std::string_view id;
    if (r.status != 200 || p.parse(r.body).get(doc) != simdjson::SUCCESS ||
        doc["ID"].get_string().get(id) != simdjson::SUCCESS)
      throw std::runtime_error("lease grant failed: " + r.body);
    return std::stoll(std::string(id));
  }

 private:
  int client_port_;
  int peer_port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace etcd_test
