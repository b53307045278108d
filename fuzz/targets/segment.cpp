// Segment files of the stream store (store/frame.hpp, store/segment.hpp) as a reader, verify
// and the writer's crash recovery meet them: any bytes on disk, never a crash, and after
// recovery the store takes a new record that a reader then sees. Every payload a reader yields
// goes through the record decoder (codec/binary.hpp) and the JSON-lines printer, as
// `introspect query` does.
//
// Input: one flags byte, then the segment bytes. Frames carry CRC-32C checksums, which random
// mutation almost never gets right; with flag `repair` the harness recomputes the segment
// header's and every plausible frame's checksum, so that the payload decoder sees mutated
// records too. Flag `two` splits the bytes into two segments (the first then is sealed).
// Flag `packed` makes the (first, sealed) segment a compressed one (format 1.2): with `repair`,
// a raw first segment is compacted (small blocks: the encoder and its round trip), otherwise the
// bytes are taken as a compressed segment whose header, table and block checksums are made
// right, so that the block decoder (store/detail/frame_columns.hpp) sees hostile columns.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/store/compaction.hpp>
#include <introspect/store/crc32c.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;
namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

constexpr unsigned flag_repair = 1, flag_two = 2, flag_recover = 4, flag_packed = 8;
// The byte layout of docs/format.md: a 32-byte segment header whose CRC (over bytes 0..27) is
// at 28; 20-byte frame headers whose CRC (over bytes 8.. end of payload) is at 4.
constexpr std::size_t seg_header = 32, frame_header = 20;

std::uint32_t get32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}
// docs/format.md: segment-<first offset, 20 decimal digits>.log
std::string segment_name(std::uint64_t first) {
  char name[48];
  std::snprintf(name, sizeof name, "segment-%020llu.log", static_cast<unsigned long long>(first));
  return name;
}
void put32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

// Makes checksums right so that the structure behind them gets exercised.
void repair(std::string& seg, std::uint64_t first) {
  if (seg.size() < seg_header) return;
  std::memcpy(seg.data(), "IXSTSEG", 8);
  put32(seg, 8, st::format_version);
  put32(seg, 12, seg_header);
  for (int i = 0; i < 8; ++i) seg[16 + i] = static_cast<char>(first >> (8 * i));
  put32(seg, 28, st::crc32c(seg.data(), 28));
  std::size_t pos = seg_header;
  while (pos + frame_header <= seg.size()) {
    const std::uint32_t len = get32(seg, pos);
    if (len > seg.size() - pos - frame_header) break;  // a torn tail stays torn
    seg[pos + 18] = seg[pos + 19] = 0;                 // reserved
    put32(seg, pos + 4, st::crc32c(seg.data() + pos + 8, frame_header - 8 + len));
    pos += frame_header + len;
  }
}

// Makes a compressed segment's checksums right (header, every in-bounds block, the table).
void repair_packed(std::string& seg) {
  namespace sd = st::detail;
  if (seg.size() < sd::compressed_header_size) return;
  auto* p = reinterpret_cast<std::byte*>(seg.data());
  std::memcpy(p, sd::compressed_magic, 8);
  sd::store_le<std::uint32_t>(p + 8, 1);
  sd::store_le<std::uint32_t>(p + 12, sd::compressed_header_size);
  sd::store_le<std::uint64_t>(p + 16, 0);
  const auto n = std::uint64_t{sd::load<std::uint32_t>(p + 40)} % 64;
  sd::store_le<std::uint32_t>(p + 40, static_cast<std::uint32_t>(n));
  const auto tlen = n * sd::block_entry_size;
  if (seg.size() < sd::compressed_header_size + tlen + 4) return;
  const auto table = seg.size() - tlen - 4;
  sd::store_le<std::uint64_t>(p + 32, table);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::byte* e = p + table + i * sd::block_entry_size;
    const auto pos = sd::load<std::uint64_t>(e + 8),
               len = std::uint64_t{sd::load<std::uint32_t>(e + 20)};
    if (pos <= table && len <= table - pos)
      sd::store_le<std::uint32_t>(e + 28, st::crc32c(p + pos, len));
  }
  sd::store_le<std::uint32_t>(p + table + tlen, st::crc32c(p + table, tlen));
  sd::store_le<std::uint32_t>(p + 60, st::crc32c(p, 60));
}

struct read_result {
  std::uint64_t records = 0;
  std::int64_t last_ts = 0;
  std::string last_payload;
};

// Reads the stream as the CLI does: every record decoded and printed.
read_result read_all(const fs::path& root) {
  read_result out;
  st::reader rd{root};
  for (const auto& info : rd.streams("s")) INTROSPECT_FUZZ_CHECK(info.name == "t");
  auto cur = rd.open("s", "t");
  st::frame_view rv;
  ix::record rec;
  std::vector<ix::field_view> fields;
  ix::jsonl_encoder enc{"s"};
  std::string line;
  while (cur.next(rv)) {
    ++out.records;
    out.last_ts = rv.ts_ns;
    out.last_payload.assign(rv.text());
    if (!ix::codec::decode(rv.text(), rec)) continue;
    rec.ts_ns = rv.ts_ns;
    rec.kind = static_cast<ix::record_kind>(rv.kind);
    rec.flags = rv.flags;
    line.clear();
    enc.encode(ix::view_of(rec, fields), line);
  }
  // What the cursor skipped is accounted for in bytes and ranges.
  INTROSPECT_FUZZ_CHECK(cur.stats().damages.size() == cur.stats().skipped_ranges);
  return out;
}

}  // namespace

// Every run lists a few directories, and glibc's opendir() allocates 32 KiB each time: with
// ASan's default 256 MiB quarantine of freed memory, each allocation is fresh pages (page
// faults dominated the profile). A small quarantine still catches use-after-free within a run.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  FuzzedDataProvider in(data + 1, size - 1);
  std::string first_seg, second_seg;
  if (flags & flag_two) first_seg = in.ConsumeRandomLengthString(size);
  second_seg = in.ConsumeRemainingBytesAsString();
  const bool two = flags & flag_two;
  std::uint64_t second_first = 0;
  if (two) {
    second_first = first_seg.size() > seg_header ? first_seg.size() - seg_header : 0;
    if (flags & flag_repair) repair(first_seg, 0);
  }
  if (flags & flag_repair) repair(second_seg, second_first);

  static const fs::path root = [] {
    auto r = introspect_fuzz::scratch_dir::get() / "store";
    fs::create_directories(r / "s" / "t");
    // The scope marker is a small file of the store's own: let the writer make a valid one
    // (once: it is synced to disk, which would slow every run down to a crawl).
    st::writer w{r, "s", {st::durability::none(), 4096}};
    return r;
  }();
  const fs::path stream = root / "s" / "t";
  // A fresh stream directory: only the files of this input.
  std::error_code ec;
  for (fs::directory_iterator it(stream, ec), end; !ec && it != end; it.increment(ec))
    fs::remove_all(it->path(), ec);
  if (two && (flags & flag_packed) && !(flags & flag_repair)) repair_packed(first_seg);
  if (two) introspect_fuzz::write_file(stream / segment_name(0), first_seg);
  if (two && (flags & flag_packed) && (flags & flag_repair))
    (void)st::compact_segment(stream / segment_name(0), 0,
                              {.codec = st::seal_codec::columns, .block_bytes = 512});
  introspect_fuzz::write_file(stream / segment_name(second_first), second_seg);

  const auto before = read_all(root);
  const auto report = st::verify(root);
  (void)report;

  if (flags & flag_recover) {
    // Reopening after a crash: recovery must cope with whatever it finds, and then the stream
    // takes a record that a reader sees last.
    const std::string payload = "fuzz-after-recovery";
    const std::int64_t ts = std::numeric_limits<std::int64_t>::max() - 1;
    {
      st::writer w{root, "s", {st::durability::none(), 4096}};
      auto id = w.stream("t");
      INTROSPECT_FUZZ_CHECK(w.append(id, ts, 1, payload).has_value());
    }
    const auto after = read_all(root);
    INTROSPECT_FUZZ_CHECK(after.records >= 1);
    INTROSPECT_FUZZ_CHECK(after.last_ts == ts && after.last_payload == payload);
  }
  (void)before;
  return 0;
}
