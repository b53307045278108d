#pragma once
//! The bucket counts of a histogram snapshot as text, for the metric record's `buckets` field:
//! `ll4 16:3 17:5` is the log-linear layout with 4 sub-bucket bits, then `index:count` for each
//! non-empty bucket. Queries subtract two snapshots' buckets to get an interval's distribution
//! (docs/cli.md); the prefix names the layout so a reader never mixes two layouts.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "introspect/metrics/detail/log_linear.hpp"
#include "introspect/metrics/histogram_snapshot.hpp"

namespace introspect::inline v1::metrics {

//! The layout prefix of the text this build writes and reads.
inline constexpr std::string_view bucket_text_layout = "ll4";
static_assert(detail::sub_bits == 4, "bucket_text_layout names the sub-bucket bits");

//! One non-empty bucket: its index in the log-linear layout and its count.
struct bucket_count_entry {
  unsigned index = 0;
  std::uint64_t count = 0;
};

//! Writes `s`'s non-empty buckets to `out` (cleared first); reuses its capacity.
inline void encode_bucket_text(const histogram_snapshot& s, std::string& out) {
  out.assign(bucket_text_layout);
  char buf[48];
  for (unsigned i = 0; i < detail::bucket_count; ++i) {
    if (!s.buckets[i]) continue;
    char* p = buf;
    *p++ = ' ';
    p = std::to_chars(p, buf + sizeof buf, i).ptr;
    *p++ = ':';
    p = std::to_chars(p, buf + sizeof buf, s.buckets[i]).ptr;
    out.append(buf, p);
  }
}

//! Reads text written by encode_bucket_text into `out` (cleared first, indexes ascending);
//! false if the layout is another one or the text is malformed.
inline bool decode_bucket_text(std::string_view text, std::vector<bucket_count_entry>& out) {
  out.clear();
  if (!text.starts_with(bucket_text_layout)) return false;
  const char* p = text.data() + bucket_text_layout.size();
  const char* end = text.data() + text.size();
  while (p != end) {
    if (*p++ != ' ') return false;
    bucket_count_entry e;
    auto r = std::from_chars(p, end, e.index);
    if (r.ec != std::errc{} || r.ptr == end || *r.ptr != ':') return false;
    if (e.index >= detail::bucket_count || (!out.empty() && e.index <= out.back().index))
      return false;
    r = std::from_chars(r.ptr + 1, end, e.count);
    if (r.ec != std::errc{}) return false;
    p = r.ptr;
    out.push_back(e);
  }
  return true;
}

}  // namespace introspect::inline v1::metrics
