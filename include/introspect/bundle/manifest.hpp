#pragma once
//! The manifest of a support bundle (`manifest.json`, its last member; docs/support.md lists
//! every key): what the bundle holds, what was redacted, what verify said, and the SHA-256 of
//! every other member.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/kind.hpp>
#include <introspect/format/json_escape.hpp>
#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1::bundle {

//! Version of the bundle layout (members and manifest keys).
inline constexpr int bundle_version = 1;
//! The manifest's member name; it is the last member, written after all the others.
inline constexpr std::string_view manifest_name = "manifest.json";
//! The checksums in `sha256sum -c` format, the member before the manifest.
inline constexpr std::string_view sums_name = "SHA256SUMS";
//! The verify report of the stores as they were on the customer's machine.
inline constexpr std::string_view verify_name = "verify.txt";

//! One member of the bundle with its size and checksum.
struct manifest_member {
  std::string name;
  std::uint64_t bytes = 0;
  std::string sha256;
};

//! A line of a tiny-tier member that was not a record (left out of the bundle).
struct damaged_line {
  std::string member;
  std::uint64_t line = 0;
  std::string why;
};

//! What the verify pass found before the copy.
struct verify_summary {
  bool clean = true;
  std::uint64_t damages = 0, errors = 0, torn_tails = 0, foreign = 0;
  std::uint64_t segments = 0, records = 0, bytes = 0;
  std::vector<damaged_line> damaged_lines;  //!< each one also counted in damages
};

//! Everything manifest.json says.
struct manifest {
  std::string tool;
  std::string created;               //!< RFC 3339, the wall clock when the bundle was written
  std::vector<std::string> sources;  //!< the STORE arguments, member prefix stores/<k>/
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();
  std::vector<std::string> instances;
  std::int64_t first_ts = 0, last_ts = 0;
  std::uint64_t records = 0;
  std::map<std::string, std::uint64_t> kinds;
  bool redaction = true;
  std::vector<std::string> key_patterns;
  std::map<std::string, std::uint64_t> redacted;
  std::uint64_t redacted_records = 0;
  std::uint64_t zeroed_bytes = 0;
  std::vector<std::pair<std::string, std::string>> excluded;  //!< path, why
  verify_summary verify;
  std::vector<manifest_member> members;

  bool windowed() const noexcept {
    return since_ns != std::numeric_limits<std::int64_t>::min() ||
           until_ns != std::numeric_limits<std::int64_t>::max();
  }

  //! The manifest as indented JSON.
  std::string to_json() const {
    std::string o = "{\n";
    auto str = [&](std::string_view s) {
      std::string q;
      append_json_string(q, s);
      return q;
    };
    auto time = [&](std::int64_t ns, bool open) {
      return open ? std::string{"null"} : str(format_rfc3339(ns));
    };
    o += fmt::format("  \"format\": \"introspect-bundle\",\n  \"bundle_version\": {},\n",
                     bundle_version);
    o += "  \"store_format_version\": 1,\n  \"payload_version\": 1,\n";
    o += "  \"tool\": " + str(tool) + ",\n  \"created\": " + str(created) + ",\n";
    o += "  \"sources\": [";
    for (std::size_t i = 0; i < sources.size(); ++i)
      o += fmt::format("{}{{\"member_prefix\": \"stores/{}/\", \"path\": {}}}", i ? ", " : "", i,
                       str(sources[i]));
    o += "],\n";
    o += "  \"window\": {\"since\": " +
         time(since_ns, since_ns == std::numeric_limits<std::int64_t>::min()) +
         ", \"until\": " + time(until_ns, until_ns == std::numeric_limits<std::int64_t>::max()) +
         "},\n";
    o += "  \"instances\": [";
    for (std::size_t i = 0; i < instances.size(); ++i) o += (i ? ", " : "") + str(instances[i]);
    o += "],\n";
    o += "  \"time_range\": {\"first\": " + time(first_ts, records == 0) +
         ", \"last\": " + time(last_ts, records == 0) + "},\n";
    o += fmt::format("  \"records\": {},\n  \"counts_by_kind\": {{", records);
    bool first = true;
    for (const auto& [k, n] : kinds) {
      o += fmt::format("{}{}: {}", first ? "" : ", ", str(k), n);
      first = false;
    }
    o += "},\n";
    o += fmt::format("  \"redaction\": {{\"enabled\": {}, \"etcd_key_patterns\": [",
                     redaction ? "true" : "false");
    for (std::size_t i = 0; i < key_patterns.size(); ++i)
      o += (i ? ", " : "") + str(key_patterns[i]);
    o += "], \"redacted_values\": {";
    first = true;
    for (const auto& [k, n] : redacted) {
      o += fmt::format("{}{}: {}", first ? "" : ", ", str(k), n);
      first = false;
    }
    o += fmt::format("}}, \"records_redacted\": {}, \"zeroed_damaged_bytes\": {}}},\n",
                     redacted_records, zeroed_bytes);
    o += "  \"excluded\": [";
    for (std::size_t i = 0; i < excluded.size(); ++i)
      o += fmt::format("{}{{\"path\": {}, \"why\": {}}}", i ? ", " : "", str(excluded[i].first),
                       str(excluded[i].second));
    o += "],\n";
    o += fmt::format(
        "  \"verify\": {{\"clean\": {}, \"damages\": {}, \"errors\": {}, \"torn_tails\": {}, "
        "\"foreign\": {}, \"segments\": {}, \"records\": {}, \"bytes\": {}, \"damaged_lines\": "
        "[{}], \"report\": \"{}\"}},\n",
        verify.clean ? "true" : "false", verify.damages, verify.errors, verify.torn_tails,
        verify.foreign, verify.segments, verify.records, verify.bytes, [&] {
          std::string l;
          for (const auto& d : verify.damaged_lines)
            l += fmt::format("{}{{\"member\": {}, \"line\": {}, \"why\": {}}}",
                             l.empty() ? "" : ", ", str(d.member), d.line, str(d.why));
          return l;
        }(), verify_name);
    o += "  \"members\": [\n";
    for (std::size_t i = 0; i < members.size(); ++i)
      o += fmt::format("    {{\"name\": {}, \"bytes\": {}, \"sha256\": \"{}\"}}{}\n",
                       str(members[i].name), members[i].bytes, members[i].sha256,
                       i + 1 < members.size() ? "," : "");
    o += "  ]\n}\n";
    return o;
  }
};

}  // namespace introspect::inline v1::bundle
