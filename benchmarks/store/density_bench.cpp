// Bytes per record of a stream's sealed segments under each candidate encoding, and the decode
// speed of compressed segments (issue 18, item 4; docs/benchmarks.md "Dense metrics on disk").
//
//   density_bench STREAM_DIR [REPS] [scan [KIB]]  (scan: only the default codec and the scan
//       speeds; KIB: its blocks' size instead of the default)
//   density_bench STREAM_DIR 1 breakdown       (the default compaction's bytes per column)
//   density_bench STREAM_DIR 1 profile raw|v1|v2|v3|v4
//       one scan "as cursors" of the raw segments, or of their copies compacted with columns
//       version 1 to 4, inside profiled_scan(): for callgrind --toggle-collect='*profiled_scan*',
//       whose instruction counts do not depend on the machine's load.
//
// STREAM_DIR is one stream of a store (e.g. /tmp/demo/medium/<scope>/metric). Every segment in
// it is read through the store's scanner (raw or already compressed: the same frames), then
// encoded with each candidate; sizes are summed over all segments. Speeds are measured on one
// core, page cache warm, median and best of REPS: the scanner over the raw segments and over
// their compacted copies (decoded record-equivalent bytes per second; with frame CRCs as a bundle
// copies them, and without them as the reader's cursors read).
#include <introspect/store/compaction.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/segment.hpp>

#include <time.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace st = introspect::store;
namespace sd = introspect::store::detail;
namespace fs = std::filesystem;

namespace {

struct segment_bytes {
  fs::path log;
  st::offset_t first = 0;
  std::vector<std::byte> raw;  // the raw segment: header + frames
  std::uint64_t records = 0;
};

segment_bytes load(const sd::segment_file& s) {
  segment_bytes out{s.log, s.first, std::vector<std::byte>(sd::segment_header_size), 0};
  sd::encode_segment_header(out.raw.data(), s.first);
  sd::segment_scanner sc;
  if (!sc.open(s.log, s.first)) return out;
  sd::scanned_frame f;
  st::damage d;
  for (;;) {
    const auto r = sc.next(f, d);
    if (r == sd::segment_scanner::step::end) break;
    if (r != sd::segment_scanner::step::frame) continue;
    const auto* b = f.payload - sd::frame_header_size;
    out.raw.insert(out.raw.end(), b, b + f.size());
    ++out.records;
  }
  return out;
}

// Stored bytes of the frames cut into blocks of whole frames of about `block` bytes.
template <class Encode>
std::uint64_t blocked(const std::vector<segment_bytes>& segs, std::size_t block, Encode enc) {
  std::uint64_t total = 0;
  for (const auto& s : segs) {
    std::size_t pos = sd::segment_header_size, start = pos;
    auto flush = [&] {
      if (pos > start) total += enc(std::span<const std::byte>(s.raw.data() + start, pos - start));
      start = pos;
    };
    while (pos < s.raw.size()) {
      const auto h = sd::decode_frame_header(s.raw.data() + pos);
      const auto n = sd::frame_header_size + h.length;
      if (pos - start + n > block && pos > start) flush();
      pos += n;
    }
    flush();
  }
  return total;
}

std::uint64_t zstd_of(std::span<const std::byte> b, int level) {
  std::string out;
  if (!sd::zstd_compress({reinterpret_cast<const char*>(b.data()), b.size()}, out, level)) return 0;
  return out.size();
}

// CPU time of this thread: on a shared machine, the time the scan itself ran (wall time also
// counts the time other processes had the core).
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// crcs: frames carry their CRC as a bundle copies them; off: as the reader's cursors read.
// Returns the wall seconds; adds the thread's CPU seconds to `*cpu` when given.
double seconds_to_scan(const fs::path& p, st::offset_t first, std::uint64_t& bytes,
                       bool crcs = true, double* cpu = nullptr) {
  const auto c0 = thread_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  sd::segment_scanner sc;
  sc.frame_crcs(crcs);
  bytes = 0;
  if (sc.open(p, first)) {
    sd::scanned_frame f;
    st::damage d;
    while (sc.next(f, d) != sd::segment_scanner::step::end) bytes += f.size();
  }
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (cpu) *cpu += thread_cpu_seconds() - c0;
  return wall;
}

// Not inlined: callgrind counts only this function's instructions (--toggle-collect).
[[gnu::noinline]] std::uint64_t profiled_scan(const std::vector<fs::path>& files,
                                              const std::vector<st::offset_t>& firsts) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::uint64_t b = 0;
    (void)seconds_to_scan(files[i], firsts[i], b, false);
    total += b;
  }
  return total;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: density_bench STREAM_DIR [REPS] [scan | breakdown | profile raw|v1|v2|v3|v4]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  const std::string mode = argc > 3 ? argv[3] : "";
  const bool all = mode.empty();
  // `scan KIB`: the compacted copies use blocks of KIB KiB instead of the default.
  const std::uint32_t scan_block =
      mode == "scan" && argc > 4 ? static_cast<std::uint32_t>(std::atoi(argv[4])) << 10 : 0;
  std::vector<segment_bytes> segs;
  std::uint64_t records = 0, raw = 0;
  for (const auto& s : sd::list_segments(dir)) {
    segs.push_back(load(s));
    records += segs.back().records;
    raw += segs.back().raw.size();
  }
  if (records == 0) {
    std::fprintf(stderr, "density_bench: no records in %s\n", dir.c_str());
    return 1;
  }
  std::printf("%s: %zu segments, %llu records, %llu raw bytes (zstd built: %s)\n", dir.c_str(),
              segs.size(), static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(raw), sd::zstd_built ? "yes" : "no");
  const auto tmp = fs::temp_directory_path() / ("ix-density-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  // The segments written raw under `sub` of tmp, compacted with columns `version` (0: raw).
  auto copies = [&](const char* sub, int version, std::vector<fs::path>& files,
                    std::vector<st::offset_t>& firsts) {
    fs::create_directories(tmp / sub);
    for (const auto& s : segs) {
      const auto p = tmp / sub / sd::segment_log_name(s.first);
      std::FILE* f = std::fopen(p.c_str(), "wb");
      std::fwrite(s.raw.data(), 1, s.raw.size(), f);
      std::fclose(f);
      if (version) {
        st::compaction_options o;
        o.columns = static_cast<std::uint8_t>(version);
        if (scan_block) o.block_bytes = scan_block;
        (void)st::compact_segment(p, s.first, o);
      }
      files.push_back(p);
      firsts.push_back(s.first);
    }
  };
  if (mode == "breakdown") {
    // Where the bytes of the default compaction go: each column of each block as it is stored
    // (codec 5: stored, zstd or zstd with the column dictionary), then the fixed parts.
    static const char* const names[] = {"S series", "D definitions", "T times",  "V modes",
                                        "R rest",   "K schemas",     "F fields", "B bucket sets",
                                        "C counts", "N values",      "M bitmaps"};
    st::compaction_options o;
    std::uint64_t col_raw[sd::column_count] = {}, col_stored[sd::column_count] = {}, blocks = 0;
    std::uint64_t method_use[sd::column_count][3] = {};
    std::uint64_t frames = 0;
    (void)blocked(segs, o.block_bytes, [&](auto b) {
      std::string cols, packed;
      if (!sd::encode_columns(b, cols, o.columns) || !sd::pack_columns(cols, o, packed))
        return 0ull;
      ++blocks;
      frames += packed.size();
      sd::columns::col_reader top(cols), pk(packed);
      (void)top.u8(), (void)top.varint(), (void)pk.u8(), (void)pk.varint();
      for (std::size_t i = 0; i < sd::column_count; ++i) {
        col_raw[i] += top.str().size();
        const auto m = pk.u8();
        col_stored[i] += pk.str().size();
        ++method_use[i][m < 3 ? m : 0];
      }
      return 0ull;
    });
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < sd::column_count; ++i) {
      std::printf("  %-16s %9llu raw %8llu stored (blocks stored/zstd/dict: %llu/%llu/%llu)\n",
                  names[i], static_cast<unsigned long long>(col_raw[i]),
                  static_cast<unsigned long long>(col_stored[i]),
                  static_cast<unsigned long long>(method_use[i][0]),
                  static_cast<unsigned long long>(method_use[i][1]),
                  static_cast<unsigned long long>(method_use[i][2]));
      sum += col_stored[i];
    }
    const auto fixed =
        segs.size() * (sd::compressed_header_size + 4) + blocks * sd::block_entry_size;
    std::printf(
        "  column bytes %llu, their framing (version, record count, methods, lengths) "
        "%llu, segment headers and block tables %llu: %llu bytes, %.2f B/record\n",
        static_cast<unsigned long long>(sum), static_cast<unsigned long long>(frames - sum),
        static_cast<unsigned long long>(fixed), static_cast<unsigned long long>(frames + fixed),
        static_cast<double>(frames + fixed) / static_cast<double>(records));
    fs::remove_all(tmp);
    return 0;
  }
  if (mode == "profile") {
    const std::string what = argc > 4 ? argv[4] : "v2";
    std::vector<fs::path> files;
    std::vector<st::offset_t> firsts;
    copies(what.c_str(),
           what == "raw"  ? 0
           : what == "v1" ? 1
           : what == "v2" ? 2
           : what == "v3" ? 3
                          : 4,
           files, firsts);
    const auto bytes = profiled_scan(files, firsts);
    fs::remove_all(tmp);
    std::printf("profile %s: %llu bytes scanned\n", what.c_str(),
                static_cast<unsigned long long>(bytes));
    return 0;
  }
  auto row = [&](const char* name, std::uint64_t bytes) {
    std::printf("%-44s %12llu bytes %8.2f B/record %6.1fx\n", name,
                static_cast<unsigned long long>(bytes),
                static_cast<double>(bytes) / static_cast<double>(records),
                static_cast<double>(raw) / static_cast<double>(bytes ? bytes : 1));
  };
  row("raw frame log (format 1.1)", raw);
  if (all && sd::zstd_built) {
    for (int lvl : {3, 19}) {
      std::uint64_t whole = 0;
      for (const auto& s : segs) whole += zstd_of(s.raw, lvl);
      row(("zstd -" + std::to_string(lvl) + " of each whole segment").c_str(), whole);
    }
    for (int lvl : {3, 9})
      row(("zstd -" + std::to_string(lvl) + ", 1 MiB blocks of frames").c_str(),
          blocked(segs, 1u << 20, [&](auto b) { return zstd_of(b, lvl); }));
  }
  for (std::size_t block : {256u << 10, 1u << 20, 4u << 20}) {
    if (!all) break;
    for (auto codec : {st::seal_codec::columns, st::seal_codec::columns_zstd}) {
      if (codec == st::seal_codec::columns_zstd && !sd::zstd_built) continue;
      for (int lvl : {3, 9, 19}) {
        if (codec == st::seal_codec::columns && lvl != 3) continue;
        st::compaction_options o{codec, static_cast<std::uint32_t>(block), lvl};
        const auto bytes = blocked(segs, block, [&](auto b) {
          std::vector<std::byte> v(b.begin(), b.end());
          std::string out;
          std::vector<sd::block_entry> table;
          sd::put_block(v, o, out, table);
          return static_cast<std::uint64_t>(out.size() + sd::block_entry_size);
        });
        std::string name =
            std::string(codec == st::seal_codec::columns ? "columns" : "columns+zstd -") +
            (codec == st::seal_codec::columns ? "" : std::to_string(lvl)) + ", " +
            std::to_string(block >> 10) + " KiB blocks";
        row(name.c_str(), bytes + segs.size() * (sd::compressed_header_size + 4));
      }
    }
  }
  // Format 1.2's codec (columns version 1) beside versions 2-4, same blocks and level; and how many
  // blocks of the default encoding fell back to being stored (a failed round trip).
  if (all && sd::zstd_built) {
    for (std::uint8_t version :
         {std::uint8_t{1}, std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{4}}) {
      st::compaction_options o;
      o.columns = version;
      std::uint64_t stored_raw = 0, blocks = 0;
      const auto bytes = blocked(segs, o.block_bytes, [&](auto b) {
        std::vector<std::byte> v(b.begin(), b.end());
        std::string out;
        std::vector<sd::block_entry> table;
        sd::put_block(v, o, out, table);
        ++blocks;
        stored_raw += table.back().codec == 0;
        return static_cast<std::uint64_t>(out.size() + sd::block_entry_size);
      });
      const std::string name = "columns v" + std::to_string(version) + " + zstd -9, " +
                               std::to_string(o.block_bytes >> 10) + " KiB (" +
                               std::to_string(stored_raw) + "/" + std::to_string(blocks) +
                               " stored raw)";
      row(name.c_str(), bytes + segs.size() * (sd::compressed_header_size + 4));
    }
  }
  // Per kind of metric record: histogram snapshots (metric type 3, payload byte 2) and the rest,
  // each encoded alone with the default options (B/record of that kind).
  for (const bool histograms : {false, true}) {
    if (!all) break;
    std::vector<segment_bytes> part;
    std::uint64_t n = 0, raw_n = 0;
    for (const auto& s : segs) {
      segment_bytes c{s.log, s.first, {s.raw.begin(), s.raw.begin() + sd::segment_header_size}, 0};
      for (std::size_t pos = sd::segment_header_size; pos < s.raw.size();) {
        const auto h = sd::decode_frame_header(s.raw.data() + pos);
        const auto len = sd::frame_header_size + h.length;
        const bool hist = h.length > 2 && s.raw[pos + sd::frame_header_size + 2] == std::byte{3};
        if (hist == histograms) {
          c.raw.insert(c.raw.end(), s.raw.begin() + static_cast<std::ptrdiff_t>(pos),
                       s.raw.begin() + static_cast<std::ptrdiff_t>(pos + len));
          ++c.records;
        }
        pos += len;
      }
      n += c.records;
      raw_n += c.raw.size();
      part.push_back(std::move(c));
    }
    if (n == 0) continue;
    st::compaction_options o;
    const auto bytes = blocked(part, o.block_bytes, [&](auto b) {
      std::vector<std::byte> v(b.begin(), b.end());
      std::string out;
      std::vector<sd::block_entry> table;
      sd::put_block(v, o, out, table);
      return static_cast<std::uint64_t>(out.size() + sd::block_entry_size);
    });
    std::printf("%-44s %12llu records, raw %8.2f B/record, default %6.2f B/record\n",
                histograms ? "histogram snapshots only" : "counters and gauges only",
                static_cast<unsigned long long>(n),
                static_cast<double>(raw_n) / static_cast<double>(n),
                static_cast<double>(bytes + part.size() * (sd::compressed_header_size + 4)) /
                    static_cast<double>(n));
  }
  // Scan speed: the scanner over the raw segments and over their compacted copies (default
  // options; and columns version 1 as format 1.2 wrote it), alternated in every repetition so
  // that a change of the machine's load touches all of them alike. Medians and bests.
  std::vector<fs::path> rf, v1f, v2f;
  std::vector<st::offset_t> firsts, unused;
  copies("raw", 0, rf, firsts);
  copies("v1", 1, v1f, unused);
  unused.clear();
  copies("default", st::compaction_options{}.columns, v2f, unused);
  std::uint64_t scanned = 0, stored = 0;
  for (const auto& p : v2f) stored += fs::file_size(p);
  std::vector<double> raw_t, z_t, c_t, v1_t, raw_c, z_c, c_c, v1_c;
  for (int r = 0; r < std::max(reps, 1); ++r) {
    double raw_s = 0, z_s = 0, c_s = 0, v1_s = 0, raw_u = 0, z_u = 0, c_u = 0, v1_u = 0;
    scanned = 0;
    for (std::size_t i = 0; i < rf.size(); ++i) {
      std::uint64_t b = 0, bz = 0, bc = 0, b1 = 0;
      raw_s += seconds_to_scan(rf[i], firsts[i], b, true, &raw_u);
      z_s += seconds_to_scan(v2f[i], firsts[i], bz, true, &z_u);
      c_s += seconds_to_scan(v2f[i], firsts[i], bc, false, &c_u);
      v1_s += seconds_to_scan(v1f[i], firsts[i], b1, false, &v1_u);
      if (bz != b || bc != b || b1 != b) {
        std::fprintf(stderr,
                     "density_bench: compacted copies of %s read %llu/%llu/%llu bytes, "
                     "raw %llu\n",
                     rf[i].c_str(), static_cast<unsigned long long>(bz),
                     static_cast<unsigned long long>(bc), static_cast<unsigned long long>(b1),
                     static_cast<unsigned long long>(b));
        return 1;
      }
      scanned += b;
    }
    raw_t.push_back(raw_s);
    z_t.push_back(z_s);
    c_t.push_back(c_s);
    v1_t.push_back(v1_s);
    raw_c.push_back(raw_u);
    z_c.push_back(z_u);
    c_c.push_back(c_u);
    v1_c.push_back(v1_u);
  }
  fs::remove_all(tmp);
  row("default compaction (as the writer seals)", stored);
  const double raw_med = median(raw_t), raw_cpu = median(raw_c);
  auto line = [&](const char* name, const std::vector<double>& t, const std::vector<double>& c) {
    const double m = median(t), b = *std::min_element(t.begin(), t.end()), u = median(c);
    const auto gbs = [&](double s) { return static_cast<double>(scanned) / s / 1e9; };
    std::printf(
        "scan, %-38s wall median %.4f s = %.2f GB/s (%.2fx raw), best %.2f GB/s; "
        "CPU median %.4f s = %.2f GB/s (%.2fx raw)\n",
        name, m, gbs(m), m / raw_med, gbs(b), u, gbs(u), u / raw_cpu);
  };
  line("raw segments:", raw_t, raw_c);
  line("compacted (default), frames with CRCs:", z_t, z_c);
  line("compacted (default), as cursors:", c_t, c_c);
  line("compacted v1 (format 1.2), as cursors:", v1_t, v1_c);
  return 0;
}
