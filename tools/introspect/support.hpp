#pragma once
// The support commands (issue 15): bundles, summary and report. Apart from common.hpp so that
// the other commands do not depend on them.
#include <string>
#include <vector>

#include "common.hpp"

namespace ixcli {

// ---- support bundles (cmd_bundle.cpp; bundle_none.cpp in a build without libarchive) -------

// Whether this build reads and writes bundles (libarchive and OpenSSL were found).
bool bundle_built_in();
// Whether `path` is a regular file that starts like a bundle (tar, or zstd/gzip/xz data).
bool is_bundle_file(const std::string& path);
// Extracts a bundle into a private temporary directory (0700, removed at exit, on error and on
// SIGINT/SIGTERM/SIGHUP) and returns its store directories. What is damaged or missing goes to
// note_bundle_problem(); a bundle of which nothing can be read is a usage_error.
std::vector<std::string> open_bundle(const std::string& path);
// A loss found in a bundle: reported as damage by the next damage log (verify exits 1).
void note_bundle_problem(const std::string& bundle, const std::string& what);
// Hands the bundle problems not yet reported to `log` (verify counts them as damage).
void report_bundle_problems(qread::damage_log& log);
// Every bundle problem noted so far ("BUNDLE: what"), for summary and report.
const std::vector<std::string>& bundle_problems();
// Messages name "BUNDLE:stores/0/..." instead of the temporary directory.
void add_path_alias(const std::string& from, const std::string& to);
std::string display_path(std::string s);
// Registers a directory to remove at exit (and on SIGINT/SIGTERM/SIGHUP).
void remove_at_exit(const std::string& dir);

struct bundle_args {
  std::vector<std::string> stores;
  std::string output, since, until;
  bool utc = false, since_now = false;
  std::string compress = "auto";  // auto (from the name), zstd, none
  int level = 3;
  std::vector<std::string> redact_keys;
  bool no_redact = false;
};

int cmd_bundle(const bundle_args& a);
int cmd_summary(const filter_args& fa, const output_args& oa);
int cmd_report(const filter_args& fa, const std::string& output, std::size_t top);

}  // namespace ixcli
