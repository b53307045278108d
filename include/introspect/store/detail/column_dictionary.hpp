#pragma once
// The column dictionary of format revision 1.4 (docs/format.md, "Columns codec, version 3"): raw
// zstd content that a column of a codec-5 block may be compressed against. A short store's bytes
// are mostly each series' first sample: its definition (kind, flags, payload prefix: source and
// name) and a histogram's field schema. The dictionary holds those of the series the library
// itself writes in every product (process_source, host_source, a histogram snapshot's fields:
// engine/metric_snapshot.hpp), as column D and K hold them, like HTTP/2's static table holds the
// common header names. Its bytes are part of the format: changing them would misread every
// block compressed against them, so a test pins their CRC32C; a new list needs a new method.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace introspect::inline v1::store::detail::columns {

inline std::string build_column_dictionary() {
  std::string d;
  auto varint = [&](std::string& out, std::size_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>(v | 0x80));
    out.push_back(static_cast<char>(v));
  };
  // A column D entry: kind 2 (metric), frame flags 0, parsed, then the payload prefix: version 1,
  // severity 1, metric type (1 counter, 2 gauge), 0, the source and the name as strings.
  auto entry = [&](std::string_view source, std::string_view name, char type) {
    std::string pre{'\x01', '\x01', type, '\x00'};
    varint(pre, source.size());
    pre.append(source);
    varint(pre, name.size());
    pre.append(name);
    d.append({'\x02', '\x00', '\x01'});
    varint(d, pre.size());
    d.append(pre);
  };
  for (const char* n :
       {"host.load1", "host.load5", "host.load15", "host.mem.total_bytes",
        "host.mem.available_bytes", "host.mem.used_bytes", "host.fs.total_bytes",
        "host.fs.free_bytes", "host.fs.used_bytes", "host.disk.sda.reads",
        "host.disk.sda.read_bytes", "host.disk.sda.writes", "host.disk.sda.write_bytes"})
    entry("host", n, '\x02');
  for (const char* n : {"process.rss_bytes", "process.vsize_bytes"}) entry("process", n, '\x02');
  for (const char* n :
       {"process.cpu_user_seconds", "process.cpu_system_seconds", "process.cpu_seconds"})
    entry("process", n, '\x01');
  for (const char* n : {"process.threads", "process.rss_peak_bytes", "process.open_fds"})
    entry("process", n, '\x02');
  // A column K schema: a histogram snapshot's 8 fields (7 integers, the bucket text).
  d.push_back('\x08');
  for (const char* k : {"count", "sum", "min", "max", "p50", "p90", "p99"}) {
    varint(d, std::string_view(k).size());
    d.append(k);
    d.push_back('\x01');
  }
  d.append(
      "\x07"
      "buckets\x04");
  return d;
}

//! Dictionary 1 (format 1.4): built once, never changed.
inline std::string_view column_dictionary() {
  static const std::string d = build_column_dictionary();
  return d;
}

}  // namespace introspect::inline v1::store::detail::columns
