#pragma once
// Shared by the Prometheus tests: child processes that outlive one call (the demo serving
// /metrics, a Prometheus server), free loopback ports, promtool, and small text helpers.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

namespace prom_test {

namespace fs = std::filesystem;

using ix_test::slurp;
using ix_test::temp_dir;

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

//! Runs a shell command; its stdout (stderr too with 2>&1 in `cmd`) and exit status.
inline std::string shell(const std::string& cmd, int* code = nullptr) {
  std::string out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (code) *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

//! "" when promtool accepts `text` as an exposition, else its complaint.
inline std::string promtool_check_metrics(const std::string& text) {
  if (!have("promtool")) return "";  // the CI image has it; the scrape test requires it
  temp_dir d("ix-promtool");
  std::ofstream(d.path() / "m.prom") << text;
  int rc = 0;
  auto out = shell("promtool check metrics < '" + (d.path() / "m.prom").string() + "' 2>&1", &rc);
  return rc == 0 ? "" : "promtool check metrics failed: " + out;
}

//! A port that was free a moment ago on 127.0.0.1.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

//! A child process with stdout and stderr in files; SIGTERM then SIGKILL at destruction.
class child {
 public:
  child(std::vector<std::string> argv, fs::path log_dir, const std::string& name)
      : out_(log_dir / (name + ".out")), err_(log_dir / (name + ".err")) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const std::string out = out_.string(), err = err_.string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() { stop(); }

  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }
  //! True while the process runs.
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = st;
      return false;
    }
    return true;
  }
  //! The exit status after it ended (stop() or by itself): 128+signal for a signal.
  int status() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (!running()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
  }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  int status_ = 0;
};

//! Polls `ready()` every 50 ms up to `limit`; true when it became true.
template <class F>
bool wait_for(F&& ready, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

}  // namespace prom_test
