#pragma once
// Time index of a segment that has no sealed index yet (the active one): `segment-<first>.tix`,
// appended by the writer as the segment grows (docs/format.md, "Active-segment time index").
// It is an accelerator, never the truth: a reader seeks to an entry only after reading the frame
// there and finding the checksum the entry recorded, and the writer rewrites the file from the
// segment itself whenever it reopens the stream, before anything new can be written where a
// stale entry points. A missing, torn or damaged file costs a scan, never a record.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/frame.hpp>
#include <introspect/store/manifest.hpp>
#include <introspect/store/names.hpp>

namespace introspect::inline v1::store::detail {

inline constexpr std::string_view segment_tix_suffix = ".tix";
inline std::string segment_tix_name(std::uint64_t first) {
  return segment_stem(first) + std::string(segment_tix_suffix);
}

inline constexpr char tix_magic[8] = {'I', 'X', 'S', 'T', 'T', 'I', 'X', '\0'};
inline constexpr std::uint32_t tix_version = 1;
inline constexpr std::size_t tix_header_size = 32;
inline constexpr std::size_t tix_entry_size = 24;

// One point of the index: the frame at `offset`, the running maximum of the timestamps of all
// frames before it in the segment, and the frame's own CRC field (what binds the entry to the
// bytes it was written for: a frame rewritten there after a crash has another checksum).
struct tix_entry {
  offset_t offset = 0;
  std::int64_t max_ts_before = 0;
  std::uint32_t frame_crc = 0;
};

inline void encode_tix_header(std::byte* p, offset_t first) noexcept {
  std::memcpy(p, tix_magic, 8);
  store_le<std::uint32_t>(p + 8, tix_version);
  store_le<std::uint32_t>(p + 12, static_cast<std::uint32_t>(tix_header_size));
  store_le<std::uint64_t>(p + 16, first);
  store_le<std::uint32_t>(p + 24, static_cast<std::uint32_t>(tix_entry_size));
  store_le<std::uint32_t>(p + 28, crc32c(p, 28));
}

inline void encode_tix_entry(std::byte* p, const tix_entry& e) noexcept {
  store_le<std::uint64_t>(p, e.offset);
  store_le<std::int64_t>(p + 8, e.max_ts_before);
  store_le<std::uint32_t>(p + 16, e.frame_crc);
  store_le<std::uint32_t>(p + 20, crc32c(p, 20));
}

// The usable entries of a .tix file: none when it is missing, of another version or names
// another segment; entries whose own checksum fails (torn by a crash, flipped bytes), that do
// not advance, or whose running maximum goes backwards are left out. Each kept entry still
// has to be confirmed against its frame before a reader seeks to it.
inline std::vector<tix_entry> load_tix(const std::filesystem::path& p, offset_t first) {
  std::vector<tix_entry> out;
  std::vector<std::byte> buf;
  if (!read_file(p, buf)) return out;
  if (buf.size() < tix_header_size || std::memcmp(buf.data(), tix_magic, 8) != 0 ||
      crc32c(buf.data(), 28) != load<std::uint32_t>(buf.data() + 28) ||
      load<std::uint32_t>(buf.data() + 8) != tix_version ||
      load<std::uint32_t>(buf.data() + 12) != tix_header_size ||
      load<std::uint32_t>(buf.data() + 24) != tix_entry_size ||
      load<std::uint64_t>(buf.data() + 16) != first)
    return out;
  for (std::size_t at = tix_header_size; at + tix_entry_size <= buf.size(); at += tix_entry_size) {
    const std::byte* q = buf.data() + at;
    if (crc32c(q, 20) != load<std::uint32_t>(q + 20)) continue;
    tix_entry e{load<std::uint64_t>(q), load<std::int64_t>(q + 8), load<std::uint32_t>(q + 16)};
    if (e.offset < first || (!out.empty() && (e.offset <= out.back().offset ||
                                              e.max_ts_before < out.back().max_ts_before)))
      continue;
    out.push_back(e);
  }
  return out;
}

// The writer's side: one open .tix per active segment, appended after the frames it points at
// are written. Failures only cost seeks (the file is left as it was and no longer appended).
class tix_writer {
 public:
  // Replaces the file with a header and `entries` (atomically; durably when asked: after a
  // crash the old file may hold entries for bytes that are about to be rewritten).
  int create(const std::filesystem::path& p, offset_t first, std::span<const tix_entry> entries,
             bool durable, std::size_t done_entries = 0) {
    fd_.reset();
    path_ = p;
    done = done_entries;
    std::vector<std::byte> bytes(tix_header_size + tix_entry_size * entries.size());
    encode_tix_header(bytes.data(), first);
    for (std::size_t i = 0; i < entries.size(); ++i)
      encode_tix_entry(bytes.data() + tix_header_size + tix_entry_size * i, entries[i]);
    if (int rc = atomic_write_file(p, bytes, durable)) return rc;
    fd_ = unique_fd(sys::open(p.c_str(), O_WRONLY | no_follow));
    if (!fd_) return errno;
    size_ = bytes.size();
    return 0;
  }
  bool is_open() const noexcept { return static_cast<bool>(fd_); }
  std::uint64_t size() const noexcept { return size_; }
  void close() noexcept { fd_.reset(); }
  // Closes and removes the file: its segment is sealed (the .idx is written), or the disk is
  // full and the space is better spent on records (seeks in this segment then scan).
  void retire() noexcept {
    fd_.reset();
    if (!path_.empty()) (void)sys::unlink(path_.c_str());
    path_.clear();
  }

  std::size_t done = 0;  // entries of the segment's summary already handed over (or passed)

  // Appends entries; on failure cuts what was partly written and stops using the file.
  int append(std::span<const tix_entry> entries) {
    if (!fd_ || entries.empty()) return 0;
    buf_.resize(tix_entry_size * entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
      encode_tix_entry(buf_.data() + tix_entry_size * i, entries[i]);
    std::size_t done = 0;
    while (done < buf_.size()) {
      auto w = sys::pwrite(fd_.get(), buf_.data() + done, buf_.size() - done,
                           static_cast<off_t>(size_ + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int err = w < 0 ? errno : EIO;
        if (done) (void)sys::ftruncate(fd_.get(), static_cast<off_t>(size_));
        fd_.reset();
        return err;
      }
      done += static_cast<std::size_t>(w);
    }
    size_ += buf_.size();
    return 0;
  }
  // Back to `size` bytes and `entries` entries handed over (a record was rolled back).
  void cut(std::uint64_t size, std::size_t entries) noexcept {
    done = std::min(done, entries);
    if (!fd_ || size >= size_) return;
    if (sys::ftruncate(fd_.get(), static_cast<off_t>(size)) == 0)
      size_ = size;
    else
      fd_.reset();
  }

 private:
  unique_fd fd_;
  std::filesystem::path path_;
  std::uint64_t size_ = 0;
  std::vector<std::byte> buf_;
};

// After `buf` (frames starting at logical offset `buf_off`) was written: appends the index
// entries added since entry `done`, taking each frame's CRC from the buffer. Entries whose frame
// is not in it (only after an earlier failure) are passed over: every entry is optional.
inline void tix_append_written(tix_writer& w, std::span<const index_entry> entries,
                               offset_t buf_off, std::span<const std::byte> buf) {
  auto& done = w.done;
  tix_entry add[8];
  std::size_t n = 0;
  for (; done < entries.size(); ++done) {
    const auto& e = entries[done];
    if (e.offset < buf_off || e.offset - buf_off + frame_header_size > buf.size()) continue;
    add[n++] = {e.offset, e.max_ts_before,
                load<std::uint32_t>(buf.data() + (e.offset - buf_off) + 4)};
    if (n == std::size(add)) (void)w.append({add, n}), n = 0;
  }
  (void)w.append({add, n});
}

// The sparse entries of a scanned segment with the CRC of the frame each points at (read back
// from the file: the scan keeps only offsets). Entries whose frame cannot be read are left out.
inline std::vector<tix_entry> tix_entries_of(const std::filesystem::path& log, offset_t first,
                                             std::span<const index_entry> entries) {
  std::vector<tix_entry> out;
  unique_fd fd(sys::open(log.c_str(), O_RDONLY | no_follow));
  if (!fd) return out;
  for (const auto& e : entries) {
    std::byte h[8];
    if (pread_full(fd.get(), h, sizeof h, e.offset - first + segment_header_size) != 8) break;
    out.push_back({e.offset, e.max_ts_before, load<std::uint32_t>(h + 4)});
  }
  return out;
}

// A stream reopened after a crash or a close: its .tix is rewritten from the active segment as
// it is now, before any append, because after a power loss it can name frames that are gone and
// whose offsets new frames are about to take (durably then, whatever the durability level).
inline void rebuild_tix(tix_writer& w, const std::filesystem::path& dir,
                        const std::filesystem::path& log, const segment_summary& active,
                        bool durable) {
  auto p = dir / segment_tix_name(active.first);
  bool stale = false;
  for (auto& e : load_tix(p, active.first)) stale = stale || e.offset >= active.end;
  auto entries = tix_entries_of(log, active.first, active.entries);
  if (w.create(p, active.first, entries, durable || stale, active.entries.size()) && stale)
    (void)sys::unlink(p.c_str());  // no index at all rather than a stale one
}

// The file position a cursor may start reading a segment without a sealed index at: the frame
// of the last entry that the seek may use (`usable(entry)`: every frame before it is to be
// skipped) and whose frame is there, whole, with the checksum the entry recorded; else the
// segment's beginning. Bounded: a file whose last candidates all fail is not worth more reads.
template <class Usable>
std::uint64_t tix_start(const std::filesystem::path& log, const std::filesystem::path& tix,
                        offset_t first, Usable&& usable) {
  auto entries = load_tix(tix, first);
  unique_fd fd;
  std::vector<std::byte> frame;
  int tried = 0;
  for (auto it = entries.rbegin(); it != entries.rend() && tried < 16; ++it) {
    if (!usable(*it)) continue;
    if (it->offset == first) break;  // the beginning anyway
    if (!fd) fd = unique_fd(sys::open(log.c_str(), O_RDONLY | no_follow));
    if (!fd) break;
    ++tried;
    const std::uint64_t pos = it->offset - first + segment_header_size;
    frame.resize(frame_header_size);
    if (pread_full(fd.get(), frame.data(), frame_header_size, pos) !=
        static_cast<ssize_t>(frame_header_size))
      continue;
    auto h = decode_frame_header(frame.data());
    if (!plausible(h) || h.crc != it->frame_crc) continue;
    frame.resize(frame_header_size + h.length);
    if (pread_full(fd.get(), frame.data(), frame.size(), pos) != static_cast<ssize_t>(frame.size()))
      continue;
    if (check_frame(frame.data(), frame.size(), h) == frame_check::ok) return pos;
  }
  return segment_header_size;
}

}  // namespace introspect::inline v1::store::detail
