#pragma once
// The host source: load average, memory, the store's filesystem usage and disk I/O counters.

#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "introspect/source/backoff.hpp"
#include "introspect/source/collect_report.hpp"
#include "introspect/source/detail/part.hpp"
#include "introspect/source/detail/proc_file.hpp"

namespace introspect::inline v1::source {

//! Where the host source reads, which disks it reports, and how it backs off.
struct host_options {
  std::string proc_root = "/proc";  //!< tests point this at a fixture tree
  std::string fs_path = ".";        //!< a path on the filesystem to report (the store's root)
  //! Devices whose name starts with one of these are not reported (virtual block devices).
  std::vector<std::string> exclude_devices = {"loop", "ram"};
  std::chrono::steady_clock::duration initial_backoff = std::chrono::seconds(1);
  std::chrono::steady_clock::duration max_backoff = std::chrono::minutes(5);
};

//! Gauges of the host from <proc_root>/loadavg, meminfo, diskstats and statvfs(fs_path).
//!
//! Emits host.load1/5/15, host.mem.total_bytes, host.mem.available_bytes, host.mem.used_bytes,
//! host.fs.total_bytes, host.fs.free_bytes, host.fs.used_bytes and per device
//! host.disk.<dev>.reads, .writes, .read_bytes, .write_bytes (cumulative since boot). Each of
//! the four inputs is a separate part with its own backoff; nothing throws.
//!
//! @code
//! source::host_source host({.fs_path = "/var/lib/product/introspection"});
//! host.collect([&](std::string_view name, double v) { reg.set(name, v); });
//! @endcode
class host_source {
 public:
  using clock = std::chrono::steady_clock;
  //! The source's name in records and error reports.
  static constexpr std::string_view name = "host";

  explicit host_source(host_options opt = {})
      : opt_(std::move(opt)),
        loadavg_(opt_.initial_backoff, opt_.max_backoff),
        meminfo_(opt_.initial_backoff, opt_.max_backoff),
        fs_(opt_.initial_backoff, opt_.max_backoff),
        disks_(opt_.initial_backoff, opt_.max_backoff) {}

  //! Emits every gauge that can be read now; failures are counted in the report only.
  template <class Emit>
  collect_report collect(Emit&& emit) {
    return collect(emit, ignore_errors{}, clock::now());
  }

  //! Emits `emit(name, value)` per gauge; reports `on_error(part, cause)` per failure (a garbled
  //! diskstats line is reported but does not fail the part). Parts in backoff are skipped.
  template <class Emit, class OnError>
  collect_report collect(Emit&& emit, OnError&& on_error, clock::time_point now = clock::now()) {
    collect_report report;
    detail::part_runner run(now, report);
    auto out = [&](std::string_view n, double v) {
      emit(n, v);
      ++report.emitted;
    };
    run.run(
        loadavg_, "host.loadavg", [&] { return read_loadavg(out); }, on_error);
    run.run(
        meminfo_, "host.meminfo", [&] { return read_meminfo(out); }, on_error);
    run.run(
        fs_, "host.fs", [&] { return read_fs(out); }, on_error);
    run.run(
        disks_, "host.diskstats", [&] { return read_diskstats(out, on_error); }, on_error);
    run.finish();
    return report;
  }

  //! Whether a device is reported (not excluded by prefix).
  [[nodiscard]] bool reports_device(std::string_view dev) const noexcept {
    for (const auto& prefix : opt_.exclude_devices)
      if (dev.starts_with(prefix)) return false;
    return true;
  }

 private:
  template <class Out>
  std::optional<std::string> read_loadavg(Out& out) {
    const auto p = opt_.proc_root + "/loadavg";
    if (auto err = detail::read_file(p, buf_)) return err;
    std::string_view s = buf_;
    const auto l1 = detail::to_double(detail::next_token(s));
    const auto l5 = detail::to_double(detail::next_token(s));
    const auto l15 = detail::to_double(detail::next_token(s));
    if (!l1 || !l5 || !l15) return p + ": parse error (expected three load averages)";
    out("host.load1", *l1);
    out("host.load5", *l5);
    out("host.load15", *l15);
    return std::nullopt;
  }

  template <class Out>
  std::optional<std::string> read_meminfo(Out& out) {
    const auto p = opt_.proc_root + "/meminfo";
    if (auto err = detail::read_file(p, buf_)) return err;
    const auto total = detail::find_kv(buf_, "MemTotal");
    const auto avail = detail::find_kv(buf_, "MemAvailable");
    if (!total || !avail) return p + ": parse error (no integer MemTotal and MemAvailable)";
    out("host.mem.total_bytes", static_cast<double>(*total));
    out("host.mem.available_bytes", static_cast<double>(*avail));
    out("host.mem.used_bytes", static_cast<double>(*total > *avail ? *total - *avail : 0));
    return std::nullopt;
  }

  template <class Out>
  std::optional<std::string> read_fs(Out& out) {
    struct statvfs st {};
    if (::statvfs(opt_.fs_path.c_str(), &st) != 0)
      return "statvfs " + opt_.fs_path + ": " + std::strerror(errno);
    const auto unit = static_cast<double>(st.f_frsize ? st.f_frsize : st.f_bsize);
    out("host.fs.total_bytes", static_cast<double>(st.f_blocks) * unit);
    // "free" is what an unprivileged writer (the store) can still use, not the root reserve.
    out("host.fs.free_bytes", static_cast<double>(st.f_bavail) * unit);
    out("host.fs.used_bytes", static_cast<double>(st.f_blocks - st.f_bfree) * unit);
    return std::nullopt;
  }

  template <class Out, class OnError>
  std::optional<std::string> read_diskstats(Out& out, OnError& on_error) {
    const auto p = opt_.proc_root + "/diskstats";
    if (auto err = detail::read_file(p, buf_)) return err;
    std::string_view text = buf_;
    std::size_t parsed = 0, garbled = 0, line_no = 0;
    while (!text.empty()) {
      auto line = detail::next_line(text);
      ++line_no;
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      // major minor name reads merged sectors_read ms writes merged sectors_written ...
      std::uint64_t f[8] = {};
      bool ok = detail::to_u64(detail::next_token(line)).has_value() &&
                detail::to_u64(detail::next_token(line)).has_value();
      const auto dev = detail::next_token(line);
      ok = ok && !dev.empty() && dev.size() < 64;
      for (auto& v : f) {
        const auto x = detail::to_u64(detail::next_token(line));
        ok = ok && x.has_value();
        if (x) v = *x;
      }
      if (!ok) {
        if (garbled++ == 0)
          on_error("host.diskstats", p + ": line " + std::to_string(line_no) + " garbled, skipped");
        continue;
      }
      ++parsed;
      if (!reports_device(dev)) continue;
      constexpr double sector = 512;  // diskstats counts 512-byte sectors whatever the device
      emit_disk(out, dev, "reads", static_cast<double>(f[0]));
      emit_disk(out, dev, "read_bytes", static_cast<double>(f[2]) * sector);
      emit_disk(out, dev, "writes", static_cast<double>(f[4]));
      emit_disk(out, dev, "write_bytes", static_cast<double>(f[6]) * sector);
    }
    if (parsed == 0 && garbled > 0) return p + ": no parsable line";
    return std::nullopt;
  }

  template <class Out>
  static void emit_disk(Out& out, std::string_view dev, std::string_view field, double v) {
    // Built in a stack buffer: one name per value, no allocation.
    char name[128];
    std::size_t n = 0;
    for (std::string_view part :
         {std::string_view("host.disk."), dev, std::string_view("."), field})
      for (char c : part)
        if (n < sizeof name) name[n++] = c;
    out(std::string_view(name, n), v);
  }

  host_options opt_;
  backoff loadavg_, meminfo_, fs_, disks_;
  std::string buf_;
};

}  // namespace introspect::inline v1::source
