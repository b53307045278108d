#pragma once
// Runs the CLI as a user does: a child process, its stdout and stderr through files.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace store_test {

//! What a run of the CLI gave: exit code (-1: killed), stdout, stderr.
struct cli_result {
  int code = -1;
  std::string out, err;
};

inline std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

//! `introspect ARGS...`, its output kept in `tmp`.
inline cli_result run_cli(const std::vector<std::string>& args, const std::filesystem::path& tmp) {
  const std::string bin = INTROSPECT_TEST_BIN_DIR "/introspect";
  std::vector<char*> argv{const_cast<char*>(bin.c_str())};
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto out = tmp / "stdout", err = tmp / "stderr";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp_file(out), slurp_file(err)};
}

}  // namespace store_test
