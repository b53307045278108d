#pragma once
// Columns version 4 (format 1.5, docs/format.md "Derived histogram fields"): a histogram
// snapshot's record (engine/metric_snapshot.hpp: value = count, then the fields count, sum, min,
// max, p50, p90, p99 and `buckets`) carries four numbers its bucket text already determines: the
// count is the sum of the bucket counts and each percentile is histogram_snapshot::quantile of
// those buckets, count, min and max. The encoder leaves the value, count, p50, p90 and p99 out of
// the block (value mode bit `derived`) only when recomputing them here gives back exactly the
// stored numbers (a snapshot torn by concurrent updates, another layout or another schema keeps
// them); the decoder recomputes them. Only the bucket text comes before them in neither order,
// so the decoder writes it first, past the bytes the record's head can take, and moves it back.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/metrics/detail/log_linear.hpp>
#include <introspect/store/detail/bucket_columns.hpp>
#include <introspect/store/detail/column_reader.hpp>
#include <introspect/store/detail/frame_fields.hpp>

namespace introspect::inline v1::store::detail::columns {

// The field schema of a histogram snapshot, in column K's form (the tail of column dictionary 1).
inline constexpr std::string_view histogram_keys[] = {"count", "sum", "min", "max",
                                                      "p50",   "p90", "p99", "buckets"};
inline constexpr double histogram_quantiles[] = {0.50, 0.90, 0.99};  // fields 4, 5 and 6
inline std::string build_histogram_schema() {
  std::string s(1, '\x08');
  for (const auto k : histogram_keys) {
    s.push_back(static_cast<char>(k.size()));
    s.append(k);
    s.push_back(k == "buckets" ? '\x04' : '\x01');
  }
  return s;
}
inline const std::string& histogram_schema() {
  static const std::string s = build_histogram_schema();
  return s;
}
inline bool is_histogram_schema(const std::vector<field_key>& keys) {
  if (keys.size() != std::size(histogram_keys)) return false;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i].key != histogram_keys[i] || keys[i].tag != (i == 7 ? 4 : 1)) return false;
  return true;
}

// metrics::detail::bucket_mid of every bucket: the decoder's loops look them up (a scan computes
// them ~300 times per histogram record).
inline constexpr auto bucket_mids = [] {
  std::array<std::uint64_t, metrics::detail::bucket_count> m{};
  for (unsigned i = 0; i < m.size(); ++i) m[i] = metrics::detail::bucket_mid(i);
  return m;
}();

// Bytes a derived record's value and fields take before the bucket text's `str`, at most: the
// value (tag and a 10-byte varint), the field count, each key as a `str` and its tag, 7 varints.
inline constexpr std::size_t histogram_gap = 11 + 1 + 8 * 2 + 30 + 7 * 10;
static_assert(histogram_gap == 128);

// metrics::histogram_snapshot::quantile(q) for the three histogram_quantiles, of the buckets
// idx[i] (ascending, < bucket_count) with counts cnt[i]: the same steps over the non-empty
// buckets only (an empty bucket never changes the running sum, so it never ends a walk), the three
// walks in one (the ranks do not decrease with q, and the first bucket whose running sum reaches
// a rank never comes before the one that reaches a smaller rank). A test compares them.
inline void sparse_quantiles(std::uint64_t count, std::int64_t min, std::int64_t max,
                             const std::uint32_t* idx, const std::uint64_t* cnt, std::size_t n,
                             std::int64_t (&out)[3]) noexcept {
  if (count == 0) {
    out[0] = out[1] = out[2] = 0;
    return;
  }
  std::uint64_t rank[3];
  for (int k = 0; k < 3; ++k)
    rank[k] =
        static_cast<std::uint64_t>(std::ceil(histogram_quantiles[k] * static_cast<double>(count)));
  int k = 0;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < n && k < 3; ++i) {
    seen += cnt[i];
    if (seen < rank[k]) continue;
    const auto mid = bucket_mids[idx[i]];
    const auto v = mid > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                       ? std::numeric_limits<std::int64_t>::max()
                       : static_cast<std::int64_t>(mid);
    const auto c = v < min ? min : max < v ? max : v;  // std::clamp, defined for min > max too
    do out[k++] = c;
    while (k < 3 && seen >= rank[k]);
  }
  for (; k < 3; ++k) out[k] = max;
}

// The sum the buckets suggest: each count times its bucket's midpoint (mod 2^64); `total` gets
// the sum of the counts. A derived record stores its sum as the change of `sum - estimate`,
// which is small (each observation is within 3.1 % of its bucket's midpoint) where the sum's own
// change is not.
inline std::uint64_t sum_estimate(const std::uint32_t* idx, const std::uint64_t* cnt, std::size_t n,
                                  std::uint64_t& total) noexcept {
  std::uint64_t e = 0, t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    e += cnt[i] * bucket_mids[idx[i]];
    t += cnt[i];
  }
  total = t;
  return e;
}

// Encoder: whether the record with fields `pf` (schema already known to be the histogram's),
// integer value `value` and bucket text parsed into `head`, `bk` can leave its value, count and
// percentiles out: they are exactly what the decoder computes.
inline bool histogram_derivable(const std::vector<parsed_field>& pf, std::int64_t value,
                                std::string_view head, const std::vector<bucket>& bk,
                                std::vector<std::uint32_t>& idx, std::vector<std::uint64_t>& cnt) {
  if (head != "ll4" || (!bk.empty() && bk.back().index >= metrics::detail::bucket_count))
    return false;
  std::int64_t f[7];
  for (int i = 0; i < 7; ++i) {
    codec::byte_reader r(pf[static_cast<std::size_t>(i)].body);
    f[i] = codec::unzigzag(r.varint());
  }
  idx.clear();
  cnt.clear();
  std::uint64_t total = 0;
  for (const auto& b : bk) {
    idx.push_back(b.index);
    cnt.push_back(b.count);
    total += b.count;
  }
  if (f[0] != static_cast<std::int64_t>(total) || value != f[0]) return false;
  std::int64_t q[3];
  sparse_quantiles(total, f[2], f[3], idx.data(), cnt.data(), idx.size(), q);
  return f[4] == q[0] && f[5] == q[1] && f[6] == q[2];
}

// Decoder of a record in derived mode, from its value on: `o` is just past the payload's prefix.
// The schema (K, unless `same`) must be the histogram's; F holds the sum (as the change of its
// difference to sum_estimate), min and max; the bucket
// text comes from B, M and C. Writes value and fields; `rest_at` is where the fields start.
// `prev_int` is the series' integer value. False on any inconsistency.
inline bool decode_histogram(series_fields& sf, std::uint64_t& prev_int, col_reader& F,
                             col_reader& B, col_reader& M, const char*& c, const char* c_end,
                             bucket_scratch& scratch, out_cursor& o, std::size_t& rest_at) {
  if (!sf.known || !sf.histogram) return false;
  const auto resid = sf.prev_resid + static_cast<std::uint64_t>(codec::unzigzag(F.varint()));
  for (std::size_t i = 2; i <= 3; ++i) {
    auto& st = sf.f[i];
    st.prev_int =
        static_cast<std::int64_t>(static_cast<std::uint64_t>(st.prev_int) +
                                  static_cast<std::uint64_t>(codec::unzigzag(F.varint())));
  }
  if (!F.ok()) return false;
  // The bucket text's `str`, written histogram_gap bytes further on (the buffer has that much
  // room past the block's raw length: decode_column_set), then moved to its place.
  auto& bs = sf.f[7];
  const std::size_t at = o.pos;
  out_cursor t{o.base, at + histogram_gap, o.cap + histogram_gap};
  std::string_view body;
  if (!get_buckets(B, M, c, c_end, bs, scratch, t, body)) return false;
  const std::size_t n = bs.bidx.size();
  if (bs.head != "ll4" || (n && bs.bidx[n - 1] >= metrics::detail::bucket_count)) return false;
  std::uint64_t total = 0;
  sf.prev_resid = resid;
  sf.f[1].prev_int =
      static_cast<std::int64_t>(resid + sum_estimate(bs.bidx.data(), bs.bcnt.data(), n, total));
  std::int64_t f[7] = {static_cast<std::int64_t>(total), sf.f[1].prev_int, sf.f[2].prev_int,
                       sf.f[3].prev_int};
  std::int64_t q[3];
  sparse_quantiles(total, f[2], f[3], bs.bidx.data(), bs.bcnt.data(), n, q);
  f[4] = q[0], f[5] = q[1], f[6] = q[2];
  prev_int = total;
  if (!o.put_u8(1) || !o.put_varint(codec::zigzag(f[0]))) return false;
  rest_at = o.pos;
  if (!o.put_u8(8)) return false;
  for (std::size_t i = 0; i < 8; ++i) {
    const auto k = histogram_keys[i];
    if (!o.put_u8(static_cast<std::uint8_t>(k.size())) || !o.put(k) || !o.put_u8(i == 7 ? 4 : 1))
      return false;
    if (i == 7) break;
    sf.f[i].prev_int = f[i];
    if (!o.put_varint(codec::zigzag(f[i]))) return false;
  }
  // o.pos <= at + histogram_gap: the move goes down (or nowhere).
  const std::size_t len = t.pos - (at + histogram_gap);
  if (o.cap - o.pos < len) return false;
  std::memmove(o.base + o.pos, o.base + at + histogram_gap, len);
  const std::string_view moved(reinterpret_cast<const char*>(o.base + o.pos) + (len - body.size()),
                               body.size());
  o.pos += len;
  bs.head = moved.substr(0, bs.head.size());
  bs.btext = moved.substr(bs.head.size());
  bs.prev_str = moved;
  bs.has_str = true;
  return true;
}

}  // namespace introspect::inline v1::store::detail::columns
