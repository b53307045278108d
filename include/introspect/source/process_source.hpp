#pragma once
// The process source: this process's memory, CPU time, threads and open descriptors.

#include <dirent.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "introspect/core/kind.hpp"

#include "introspect/source/backoff.hpp"
#include "introspect/source/collect_report.hpp"
#include "introspect/source/detail/part.hpp"
#include "introspect/source/detail/proc_file.hpp"

namespace introspect::inline v1::source {

//! Where the process source reads, and how it backs off when a read fails.
struct process_options {
  std::string proc_root = "/proc";  //!< tests point this at a fixture tree with a `self/` dir
  std::chrono::steady_clock::duration initial_backoff = std::chrono::seconds(1);
  std::chrono::steady_clock::duration max_backoff = std::chrono::minutes(5);
};

//! Metrics of this process from <proc_root>/self: statm, stat, status and fd/.
//!
//! Emits the gauges process.rss_bytes, process.vsize_bytes, process.rss_peak_bytes,
//! process.threads and process.open_fds, and the counters process.cpu_user_seconds,
//! process.cpu_system_seconds and process.cpu_seconds (cumulative: `emit(name, value, type)`
//! receives metric_type::counter for them when the emitter takes a type). Each file is a separate
//! part with its own backoff: one missing or garbled file does not stop the others, and nothing
//! throws.
//!
//! @code
//! source::process_source proc;
//! proc.collect([&](std::string_view name, double v) { reg.set(name, v); },
//!              [&](std::string_view what, std::string_view cause) { log(what, cause); });
//! @endcode
class process_source {
 public:
  using clock = std::chrono::steady_clock;
  //! The source's name in records and error reports.
  static constexpr std::string_view name = "process";

  explicit process_source(process_options opt = {})
      : opt_(std::move(opt)),
        statm_(opt_.initial_backoff, opt_.max_backoff),
        stat_(opt_.initial_backoff, opt_.max_backoff),
        status_(opt_.initial_backoff, opt_.max_backoff),
        fd_(opt_.initial_backoff, opt_.max_backoff) {}
  //! Reads from `proc_root` (default "/proc") with the default backoff.
  explicit process_source(std::string proc_root)
      : process_source(process_options{.proc_root = std::move(proc_root)}) {}

  //! Emits every gauge that can be read now; failures are counted in the report only.
  template <class Emit>
  collect_report collect(Emit&& emit) {
    return collect(emit, ignore_errors{}, clock::now());
  }

  //! Emits `emit(name, value)` per gauge; reports `on_error(part, cause)` per failing part. Parts
  //! waiting out a backoff at `now` are skipped.
  template <class Emit, class OnError>
  collect_report collect(Emit&& emit, OnError&& on_error, clock::time_point now = clock::now()) {
    collect_report report;
    detail::part_runner run(now, report);
    // CPU seconds only grow while the process lives: they are counters (so that a reader shows
    // their rate, the CPU share, not an ever-rising line); an emitter that takes a metric type
    // gets it (the engine's collector), a (name, value) one gets the values alone.
    auto out = [&](std::string_view n, double v, metric_type t = metric_type::gauge) {
      if constexpr (std::is_invocable_v<Emit&, std::string_view, double, metric_type>)
        emit(n, v, t);
      else
        emit(n, v);
      ++report.emitted;
    };
    run.run(
        statm_, "process.statm", [&] { return read_statm(out); }, on_error);
    run.run(
        stat_, "process.stat", [&] { return read_stat(out); }, on_error);
    run.run(
        status_, "process.status", [&] { return read_status(out); }, on_error);
    run.run(
        fd_, "process.fd", [&] { return count_fds(out); }, on_error);
    run.finish();
    return report;
  }

 private:
  std::string path(std::string_view leaf) const {
    return opt_.proc_root + "/self/" + std::string(leaf);
  }

  template <class Out>
  std::optional<std::string> read_statm(Out& out) {
    const auto p = path("statm");
    if (auto err = detail::read_file(p, buf_)) return err;
    std::string_view s = buf_;
    const auto size = detail::to_u64(detail::next_token(s));
    const auto resident = detail::to_u64(detail::next_token(s));
    if (!size || !resident) return p + ": parse error (expected 'size resident ...' in pages)";
    const auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    out("process.rss_bytes", static_cast<double>(*resident) * page);
    out("process.vsize_bytes", static_cast<double>(*size) * page);
    return std::nullopt;
  }

  template <class Out>
  std::optional<std::string> read_stat(Out& out) {
    const auto p = path("stat");
    if (auto err = detail::read_file(p, buf_)) return err;
    // The command name (field 2) is in parentheses and may contain spaces and ')': fields are
    // counted from the last ')'.
    const auto close = buf_.rfind(')');
    if (close == std::string::npos) return p + ": parse error (no ')' after the command name)";
    std::string_view s = std::string_view(buf_).substr(close + 1);
    std::optional<std::uint64_t> utime, stime, threads;
    for (int field = 3; field <= 20; ++field) {
      const auto tok = detail::next_token(s);
      if (tok.empty()) break;
      if (field == 14) utime = detail::to_u64(tok);
      if (field == 15) stime = detail::to_u64(tok);
      if (field == 20) threads = detail::to_u64(tok);
    }
    if (!utime || !stime || !threads)
      return p + ": parse error (fields 14, 15 and 20 must be integers)";
    const auto hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    out("process.cpu_user_seconds", static_cast<double>(*utime) / hz, metric_type::counter);
    out("process.cpu_system_seconds", static_cast<double>(*stime) / hz, metric_type::counter);
    out("process.cpu_seconds", static_cast<double>(*utime + *stime) / hz, metric_type::counter);
    out("process.threads", static_cast<double>(*threads));
    return std::nullopt;
  }

  template <class Out>
  std::optional<std::string> read_status(Out& out) {
    const auto p = path("status");
    if (auto err = detail::read_file(p, buf_)) return err;
    const auto hwm = detail::find_kv(buf_, "VmHWM");
    if (!hwm) return p + ": parse error (no integer 'VmHWM:' line)";
    out("process.rss_peak_bytes", static_cast<double>(*hwm));
    return std::nullopt;
  }

  template <class Out>
  std::optional<std::string> count_fds(Out& out) {
    const auto p = path("fd");
    DIR* dir = ::opendir(p.c_str());
    if (dir == nullptr) return "cannot open " + p + ": " + std::strerror(errno);
    std::uint64_t n = 0;
    while (const dirent* e = ::readdir(dir)) {
      const std::string_view nm = e->d_name;
      if (nm != "." && nm != "..") ++n;
    }
    // In the real /proc the directory stream's own descriptor is listed too: do not count it.
    struct statfs fs {};
    constexpr long proc_super_magic = 0x9fa0;
    if (::fstatfs(::dirfd(dir), &fs) == 0 && static_cast<long>(fs.f_type) == proc_super_magic &&
        n > 0)
      --n;
    ::closedir(dir);
    out("process.open_fds", static_cast<double>(n));
    return std::nullopt;
  }

  process_options opt_;
  backoff statm_, stat_, status_, fd_;
  std::string buf_;  // reused across reads: steady-state collection does not allocate for it
};

}  // namespace introspect::inline v1::source
