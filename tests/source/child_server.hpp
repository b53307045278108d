#pragma once
// A test server in ANOTHER process: tools/tests' fake_apiserver started with posix_spawn on
// 127.0.0.1 at a random port (it prints the port), killed with SIGKILL when the test is done.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

extern char** environ;

namespace ix_test {

namespace fs = std::filesystem;

//! fake_apiserver running in a child process; its certificate is dir/cert.pem.
class child_server {
 public:
  //! With `must_listen` false a server that cannot take the port asked for (`--port N`) is
  //! no failure: port() is then 0.
  explicit child_server(const fs::path& dir, std::vector<std::string> extra = {},
                        bool must_listen = true)
      : dir_(dir), cert_(dir / "cert.pem") {
    std::vector<std::string> args{std::string{INTROSPECT_TEST_BIN_DIR} + "/fake_apiserver",
                                  "--cert-out", cert_.string(), "--fixtures", dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    REQUIRE(rc == 0);
    std::string line;
    pollfd p{out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 10000) == 1) {
      char buf[64];
      const auto n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, std::size_t(n));
    }
    ::close(out[0]);
    port_ = std::atoi(line.c_str());
    if (must_listen) REQUIRE(port_ > 0);
  }
  ~child_server() { kill(); }
  child_server(const child_server&) = delete;
  child_server& operator=(const child_server&) = delete;

  int port() const { return port_; }
  std::string url(const char* scheme = "https") const {
    return std::string{scheme} + "://127.0.0.1:" + std::to_string(port_);
  }
  const fs::path& cert() const { return cert_; }
  //! The requests served so far, one line each: "METHOD PATH auth=VALUE".
  std::string requests() const { return slurp(dir_ / "requests.log"); }
  //! How many served requests contain `what`.
  std::size_t count(const std::string& what) const {
    std::istringstream in(requests());
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) n += l.find(what) != std::string::npos;
    return n;
  }
  //! Waits (up to 10 s) until count(what) > `than`.
  bool wait_for(const std::string& what, std::size_t than = 0) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (count(what) <= than) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  //! SIGKILL, as a crash or an OOM kill would end it; its connections die with it.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  fs::path dir_, cert_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace ix_test
