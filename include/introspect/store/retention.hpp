#pragma once
// Which sealed segments retention removes. Pure, so it is tested without a file system.
#include <cstdint>
#include <vector>

#include <introspect/store/manifest.hpp>
#include <introspect/store/options.hpp>

namespace introspect::inline v1::store::detail {

// Number of oldest sealed segments to remove. A segment goes when the stream holds at least the
// byte/record limit without it, so a stream keeps at least the limit (when it has that much) and
// at most the limit plus one segment. The active segment is never removed: it carries the
// stream's next offset.
inline std::size_t expired_prefix(const std::vector<segment_summary>& sealed,
                                  const segment_summary& active, const stream_options& o,
                                  std::int64_t now_ns, const truncation_point& trunc) {
  std::uint64_t bytes = active.file_size, records = active.records;
  for (auto& s : sealed) {
    bytes += s.file_size;
    records += s.records;
  }
  std::size_t n = 0;
  for (; n < sealed.size(); ++n) {
    auto& s = sealed[n];
    // A segment that could not be read has unknown content, never "no records": it stays
    // (and so does everything after it) until it can be read again.
    if (!s.readable) break;
    bool hidden =
        s.end <= trunc.offset || (s.records > 0 && s.max_ts < trunc.ts_ns) || s.records == 0;
    bool too_old = o.keep_for && s.records > 0 && s.max_ts < now_ns - o.keep_for->count();
    bool too_big = o.keep_bytes && bytes - s.file_size >= *o.keep_bytes;
    bool too_many = o.keep_count && records - s.records >= *o.keep_count;
    if (!(hidden || too_old || too_big || too_many)) break;
    bytes -= s.file_size;
    records -= s.records;
  }
  return n;
}

}  // namespace introspect::inline v1::store::detail
