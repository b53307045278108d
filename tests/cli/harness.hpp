#pragma once
// Shared by the CLI tests: run the built introspect binary (or any command) and capture its
// output, temporary directories, line splitting.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

namespace cli_test {

namespace fs = std::filesystem;

using ix_test::slurp;
using ix_test::temp_dir;

inline const std::string bin = INTROSPECT_TEST_BIN_DIR "/introspect";

struct result {
  int code = -1;
  std::string out, err;
};

// How a child runs: as another user (uid/gid >= 0, e.g. nobody when the tests run as root, so
// that file modes apply) and with extra environment variables (TZ, PAGER).
struct run_options {
  int uid = -1, gid = -1;
  std::vector<std::pair<std::string, std::string>> env;
};

// Runs the CLI with `args`; stdout and stderr are captured through files. Everything the child
// needs is built before fork(): the test process has threads (forwarders, libnats), and a child
// that allocates may wait forever on a lock one of them held at the fork (seen under ASan: the
// child of cli_streams_lag stuck in the sanitizer's allocator). The child only makes
// async-signal-safe calls.
inline result run(const std::vector<std::string>& args, const run_options& o,
                  const std::string& program = bin) {
  temp_dir io("ix-cli-io");
  const std::string out = (io.path() / "out").string(), err = (io.path() / "err").string();
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The environment with o.env's variables set (replaced or added).
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [k, v] : o.env)
      replaced =
          replaced || (entry.size() > k.size() && entry.starts_with(k) && entry[k.size()] == '=');
    if (!replaced) env_text.emplace_back(entry);
  }
  for (const auto& [k, v] : o.env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    if (o.gid >= 0 && ::setgid(static_cast<gid_t>(o.gid)) != 0) ::_exit(126);
    if (o.uid >= 0 && ::setuid(static_cast<uid_t>(o.uid)) != 0) ::_exit(126);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline result run(const std::vector<std::string>& args, const std::string& program = bin) {
  return run(args, run_options{}, program);
}

// Runs a shell command (jq pipelines) and returns its stdout; `code` gets its exit status.
inline std::string shell(const std::string& cmd, int* code = nullptr) {
  std::string out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (code) *code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    v.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return v;
}

}  // namespace cli_test
