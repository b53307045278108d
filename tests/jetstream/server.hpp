#pragma once
// Real nats-server processes for the tests: random loopback ports, a private store dir, and an
// RAII guard that kills the server's whole process group however the test ends.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include "../support/temp_dir.hpp"

namespace js_test {

using ix_test::temp_dir;

//! A TCP port nothing listens on right now (the kernel's pick for an ephemeral bind).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline std::string server_binary() {
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server"})
    if (::access(p, X_OK) == 0) return p;
  throw std::runtime_error("nats-server not installed (apt-get install nats-server)");
}

//! One nats-server with JetStream; start() may be called again after kill() (same dir, port).
class nats_server {
 public:
  struct config {
    std::filesystem::path dir;  // JetStream store dir (-sd) and the log file
    int port = 0;
    std::string name;  // server_name (required by JetStream clusters)
    std::string cluster_name;
    int cluster_port = 0;
    std::vector<int> routes;  // cluster ports of the other nodes
    std::string user, password;
  };
  static config in(std::filesystem::path dir) {
    config c;
    c.dir = std::move(dir);
    return c;
  }
  explicit nats_server(config c) : c_(std::move(c)) {
    auto_port_ = c_.port == 0 && c_.cluster_port == 0;
    if (c_.port == 0) c_.port = free_port();
    std::filesystem::create_directories(c_.dir);
  }
  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;
  ~nats_server() { kill(); }

  void start(bool wait = true) {
    // A port free when it was picked may be taken by another test's server before this one
    // binds it: that server then exits, and the port answers for someone else. A server of our
    // own picking moves to a new port then (one with cluster routes cannot: others know it).
    for (int attempt = 1;; ++attempt) {
      try {
        spawn();
        if (wait) wait_ready();
        return;
      } catch (const port_taken&) {
        if (!auto_port_ || attempt == 5) throw;
        c_.port = free_port();
      }
    }
  }
  //! Thrown when the server exited before it listened (its port was taken).
  struct port_taken : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

 private:
  void spawn() {
    if (pid_ > 0) return;
    std::vector<std::string> args = {server_binary(),
                                     "-js",
                                     "-a",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(c_.port),
                                     "-sd",
                                     c_.dir.string(),
                                     "--ports_file_dir",
                                     c_.dir.string()};
    if (!c_.name.empty()) args.insert(args.end(), {"-n", c_.name});
    if (c_.cluster_port) {
      args.insert(args.end(), {"--cluster_name", c_.cluster_name, "-cluster",
                               "nats://127.0.0.1:" + std::to_string(c_.cluster_port)});
      std::string routes;
      for (int r : c_.routes)
        routes +=
            (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(r);
      if (!routes.empty()) args.insert(args.end(), {"-routes", routes});
    }
    if (!c_.user.empty()) args.insert(args.end(), {"--user", c_.user, "--pass", c_.password});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto log = (c_.dir / "server.log").string();
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot fork nats-server");
    if (pid == 0) {
      // Child: its own process group, and killed with the test process even if that crashes.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so kill(-pid) works at once
    pid_ = pid;
  }

 public:
  //! Waits until this server (not another one on the same port) listens: nats-server writes
  //! `<executable>_<pid>.ports` once its listeners are up.
  void wait_ready() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    const std::string suffix = "_" + std::to_string(pid_) + ".ports";
    for (;;) {
      bool written = false;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(c_.dir, ec))
        written = written || e.path().filename().string().ends_with(suffix);
      if (written && port_open(c_.port)) return;
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        throw port_taken("nats-server exited before it listened on port " +
                         std::to_string(c_.port) + " (see " + (c_.dir / "server.log").string() +
                         ")");
      }
      if (std::chrono::steady_clock::now() > until)
        throw std::runtime_error("nats-server did not listen on port " + std::to_string(c_.port));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  //! SIGKILL to the whole process group, then reap: nothing is left running.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0; }
  //! For a failing test's message: "running", or how the server ended and its log's last lines
  //! (a server that panicked names the cause there).
  std::string health() {
    if (pid_ <= 0) return "not running";
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return "running";
    pid_ = -1;
    std::string how = WIFSIGNALED(st) ? "killed by signal " + std::to_string(WTERMSIG(st))
                                      : "exited with status " + std::to_string(WEXITSTATUS(st));
    std::ifstream in(c_.dir / "server.log");
    std::vector<std::string> tail;
    for (std::string line; std::getline(in, line);) {
      tail.push_back(line);
      if (tail.size() > 12) tail.erase(tail.begin());
    }
    how += "; the end of " + (c_.dir / "server.log").string() + ":";
    for (const auto& l : tail) how += "\n  " + l;
    return how;
  }
  int port() const { return c_.port; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(c_.port); }

 private:
  config c_;
  pid_t pid_ = -1;
  bool auto_port_ = false;
};

}  // namespace js_test
