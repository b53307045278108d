// introspect bundle: one file holding the stores (or a --since/--until window of them, cut at
// frame boundaries), redacted, with its manifest and the verify report (docs/support.md).
// Also how every command reads a bundle: extracted into a private temporary directory that is
// removed at exit (bundle/reader.hpp), then opened like any store directory.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include <introspect/bundle/reader.hpp>
#include <introspect/bundle/writer.hpp>
#include <introspect/core/clock.hpp>
#include <introspect/format/terminal_text.hpp>
#include <introspect/query/read/jsonl_parse.hpp>
#include <introspect/query/read/jsonl_store.hpp>
#include <introspect/query/read/stream_store.hpp>

#include "common.hpp"
#include "support.hpp"

namespace ixcli {

namespace fs = std::filesystem;

namespace {

// Directories to remove at exit, as C strings a signal handler can use without allocating.
constexpr int max_cleanup = 64;
char* cleanup_dirs[max_cleanup];
volatile sig_atomic_t cleanup_count = 0;

void remove_all_now() {
  for (int i = 0; i < cleanup_count; ++i) {
    std::error_code ec;
    fs::remove_all(cleanup_dirs[i], ec);
  }
}

// On a signal: fork and exec rm -rf (both async-signal-safe), then die of the same signal.
void remove_and_die(int sig) {
  for (int i = 0; i < cleanup_count; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      char rm[] = "/bin/rm", rf[] = "-rf";
      char* argv[] = {rm, rf, cleanup_dirs[i], nullptr};
      ::execv(rm, argv);
      ::_exit(127);
    }
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string mb(std::uint64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

}  // namespace

void remove_at_exit(const std::string& dir) {
  if (cleanup_count >= max_cleanup) throw usage_error{"too many bundles opened at once"};
  if (cleanup_count == 0) {
    std::atexit(remove_all_now);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
      struct sigaction sa {};
      sa.sa_handler = remove_and_die;
      sigemptyset(&sa.sa_mask);
      // Only when the signal would have killed us anyway (a pager may have set SIGPIPE aside).
      struct sigaction old {};
      ::sigaction(sig, nullptr, &old);
      if (old.sa_handler == SIG_DFL) ::sigaction(sig, &sa, nullptr);
    }
  }
  cleanup_dirs[cleanup_count] = ::strdup(dir.c_str());
  cleanup_count = cleanup_count + 1;
}

bool bundle_built_in() { return true; }

bool is_bundle_file(const std::string& path) { return ix::bundle::looks_like_bundle(path); }

std::vector<std::string> open_bundle(const std::string& path) {
  // Each bundle is extracted once per process (relative times scan the store a second time);
  // its directory goes when the process exits, or is killed by a signal (remove_at_exit).
  static std::map<std::string, std::unique_ptr<ix::bundle::extracted_bundle>> opened;
  auto it = opened.find(path);
  if (it == opened.end()) {
    std::unique_ptr<ix::bundle::extracted_bundle> x;
    try {
      x = std::make_unique<ix::bundle::extracted_bundle>(path);
    } catch (const ix::bundle::bundle_error& e) {
      throw usage_error{std::string{"bundle "} + e.what()};
    }
    remove_at_exit(x->dir());
    for (const auto& p : x->contents().problems) note_bundle_problem(path, p);
    for (const auto& s : x->contents().stores)
      add_path_alias(s.string(), path + ":" + fs::relative(s, x->dir()).string());
    it = opened.emplace(path, std::move(x)).first;
  }
  const auto& b = it->second->contents();
  if (b.stores.empty())
    throw usage_error{path + ": no store could be read from this bundle" +
                      (b.problems.empty() ? std::string{} : " (" + b.problems.front() + ")")};
  std::vector<std::string> out;
  for (const auto& s : b.stores) out.push_back(s.string());
  return out;
}

int cmd_bundle(const bundle_args& a) {
  ix::bundle::bundle_options o;
  for (const auto& s : a.stores) {
    if (s.starts_with("nats://") || s.starts_with("tls://"))
      throw usage_error{"bundle \"" + s +
                        "\": a bundle holds local stream stores (run bundle "
                        "on the machine that holds the store)"};
    if (is_bundle_file(s)) throw usage_error{"bundle \"" + s + "\": already a bundle"};
    if (!qread::is_stream_store(s) && !qread::is_stream_store_scope(s) &&
        !(fs::is_directory(s) && qread::has_jsonl_files(s)))
      throw usage_error{"bundle \"" + s +
                        "\": not a stream store directory, nor a tiny-tier store (a "
                        "directory of *.jsonl files)"};
    o.stores.emplace_back(s);
  }
  if (a.output.empty()) throw usage_error{"bundle: -o FILE is required (e.g. -o case-123.tar.zst)"};
  if (a.output == "-") throw usage_error{"bundle: -o -: a bundle is written to a file"};
  o.output = a.output;
  const bool zst = a.output.ends_with(".zst") || a.output.ends_with(".tzst");
  o.compress = a.compress == "zstd" || (a.compress == "auto" && zst);
  if (a.level < 1 || a.level > 19)
    throw usage_error{"--level " + std::to_string(a.level) + ": use 1 to 19"};
  o.level = a.level;
  if (!a.since.empty() || !a.until.empty()) {
    filter_args fa;
    fa.stores = a.stores;
    fa.since = a.since;
    fa.until = a.until;
    fa.utc = a.utc;
    fa.since_now = a.since_now;
    const auto f = make_filter(fa, ix::realtime_ns());
    o.since_ns = f.since_ns;
    o.until_ns = f.until_ns;
    if (o.since_ns >= o.until_ns) throw usage_error{"bundle: --since is not before --until"};
  }
  o.redact.enabled = !a.no_redact;
  if (!a.redact_keys.empty()) o.redact.key_patterns = a.redact_keys;
  o.tool = "introspect 0.1.0";
  // Tiny-tier lines are read with the tiny tier's own parser (simdjson, linked by the CLI).
  o.parse_jsonl = [parser = std::make_shared<qread::jsonl_record_parser>()](
                      std::string_view line, ix::record& r, std::string& why) {
    return parser->parse(line, r, why);
  };
  const auto start = std::chrono::steady_clock::now();
  ix::bundle::manifest m;
  try {
    progress prog("bundle");
    m = ix::bundle::make_bundle(o, [&](std::uint64_t) {});
  } catch (const ix::bundle::bundle_error& e) {
    throw usage_error{std::string{"bundle: "} + e.what()};
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::uint64_t in = 0;
  for (const auto& mm : m.members) in += mm.bytes;
  std::error_code ec;
  const auto out_size = fs::file_size(a.output, ec);
  std::printf("%s: %llu records of %zu instance(s), %s of store in %s (%.1f s, %.0f MB/s)\n",
              ix::terminal_safe(a.output).c_str(), static_cast<unsigned long long>(m.records),
              m.instances.size(), mb(in).c_str(), mb(out_size).c_str(), secs,
              secs > 0 ? static_cast<double>(in) / 1e6 / secs : 0.0);
  if (m.windowed())
    std::printf("window: %s to %s (cut at frame boundaries)\n",
                m.since_ns == std::numeric_limits<std::int64_t>::min()
                    ? "the start"
                    : ix::format_rfc3339(m.since_ns).c_str(),
                m.until_ns == std::numeric_limits<std::int64_t>::max()
                    ? "the end"
                    : ix::format_rfc3339(m.until_ns).c_str());
  std::string red;
  for (const auto& [k, n] : m.redacted)
    red += fmt::format("{}{} {}", red.empty() ? "" : ", ", n, k);
  std::printf("redacted: %s\n",
              !m.redaction ? "nothing (--no-redact)"
              : red.empty()
                  ? "nothing found to redact"
                  : (red + " (in " + std::to_string(m.redacted_records) + " records)").c_str());
  if (m.zeroed_bytes)
    std::printf("zeroed: %llu bytes of damaged ranges and torn tails (their places are kept)\n",
                static_cast<unsigned long long>(m.zeroed_bytes));
  for (const auto& [p, why] : m.excluded)
    std::printf("not bundled: %s (%s)\n", ix::terminal_safe(p).c_str(), why.c_str());
  std::printf("verify: %s\n",
              m.verify.clean
                  ? "clean"
                  : fmt::format("{} damaged, {} unreadable (see verify.txt in the bundle)",
                                m.verify.damages, m.verify.errors)
                        .c_str());
  return 0;
}

}  // namespace ixcli
