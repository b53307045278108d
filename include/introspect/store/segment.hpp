#pragma once
// Sequential, damage-tolerant reading of one segment file. Shared by the writer's recovery, the
// reader's cursors and verify so that all three agree on what a valid record is.
#include <sys/stat.h>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <introspect/store/compressed_segment.hpp>
#include <introspect/store/errors.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/manifest.hpp>

namespace introspect::inline v1::store::detail {

struct scanned_frame {
  std::uint64_t pos = 0;  // file position of the frame header
  frame_header header;
  const std::byte* payload = nullptr;
  std::uint64_t size() const noexcept { return frame_header_size + header.length; }
};

// What a scanner keeps about the compressed segment it reads (outside the class: clang will not
// default-construct a nested class with member initializers inside its enclosing class).
struct compressed_read_state {
  compressed_index ix;
  std::vector<std::string> bad;  // why each block failed to decode ("" = not failed)
  std::string broken, stored, scratch;
  bool trusted = false;  // buf_ holds only frames the columns decoder framed
};

class segment_scanner {
 public:
  enum class step { frame, damage, end };
  static constexpr std::size_t chunk = 1u << 20;

  // False when the file cannot be opened; error() then holds the errno (ENOENT: removed by
  // retention meanwhile; anything else is a file that exists but cannot be read).
  bool open(const std::filesystem::path& p, offset_t first) {
    path_ = p;
    first_ = first;
    err_ = 0;
    size_ = 0;
    fd_ = unique_fd(sys::open(p.c_str(), O_RDONLY | no_follow));
    if (!fd_) {
      err_ = errno;
      return false;
    }
    z_.reset();
    refresh_size();
    std::byte hdr[segment_header_size];
    auto got = pread_full(fd_.get(), hdr, sizeof hdr, 0);
    if (got < 0) err_ = errno;
    header_ = check_segment_header(hdr, got < 0 ? 0 : static_cast<std::size_t>(got), first);
    pos_ = segment_header_size;
    buf_len_ = 0;
    if (got > 0 && is_compressed_header(hdr, static_cast<std::size_t>(got))) open_compressed();
    return true;
  }
  //! True when the file is a compressed segment (format 1.2): positions are those of the raw
  //! segment it stands for, file_size() is that segment's size.
  bool compressed() const noexcept { return z_.has_value(); }
  //! Bytes of the file itself (file_size() is the raw size for a compressed segment).
  std::uint64_t stored_size() const noexcept { return z_ ? stored_size_ : size_; }
  //! Off: frames decoded from a compressed segment's blocks carry 0 in their CRC field (their
  //! block's checksum vouches for them) instead of a computed one. For readers that never look
  //! at the field (cursors); whoever copies frames (a bundle) keeps the default.
  void frame_crcs(bool on) noexcept { crcs_ = on; }
  bool is_open() const noexcept { return static_cast<bool>(fd_); }
  void close() { fd_.reset(); }
  header_check header_status() const noexcept { return header_; }
  //! Bytes checksummed so far (the work bound in docs/format.md is stated on this).
  std::uint64_t checked_bytes() const noexcept { return checked_; }
  //! errno of the last failed open or read (0 if none): the rest of the file is unknown.
  int error() const noexcept { return err_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  offset_t first() const noexcept { return first_; }
  std::uint64_t pos() const noexcept { return pos_; }
  std::uint64_t file_size() const noexcept { return size_; }
  std::uint64_t tail_bytes() const noexcept { return size_ > pos_ ? size_ - pos_ : 0; }
  offset_t offset_of(std::uint64_t pos) const noexcept {
    return first_ + (pos - segment_header_size);
  }
  std::uint64_t pos_of(offset_t off) const noexcept { return off - first_ + segment_header_size; }
  void seek(std::uint64_t pos) noexcept {
    pos_ = std::max<std::uint64_t>(pos, segment_header_size);
  }

  // Returns true when the file grew since the last look.
  bool refresh_size() noexcept {
    if (z_) return false;  // a compressed segment is never appended to
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return false;
    auto s = static_cast<std::uint64_t>(st.st_size);
    bool grew = s != size_;
    size_ = s;
    if (grew) buf_len_ = 0;  // bytes read near the old end may have been mid-write
    return grew;
  }

  // Next whole, checksum-valid frame; or a damaged range that was skipped; or the end (which
  // may be a torn or still-being-written tail: see tail_bytes()).
  step next(scanned_frame& f, damage& d) {
    if (err_ || size_ < segment_header_size || pos_ >= size_) return end();
    if (z_ && !block_ready(d)) return err_ ? end() : step::damage;
    frame_header h;
    auto avail = size_ - pos_;
    if (avail < frame_header_size) return end();
    if (frame_at(pos_, h)) return emit(f, h);
    if (err_) return end();
    auto why = reason_at(pos_);
    std::uint64_t q = 0;
    if (!resync(pos_ + 1, q)) return end();
    // A concurrent writer may have been mid-way through the frame at pos_ when we first read
    // it; now that later bytes exist, re-read before calling it damage.
    buf_len_ = 0;
    if (frame_at(pos_, h)) return emit(f, h);
    d = damage{path_, pos_, q - pos_, why};
    pos_ = q;
    return step::damage;
  }

 private:
  step end() {
    buf_len_ = 0;
    return step::end;
  }
  step emit(scanned_frame& f, const frame_header& h) {
    f.pos = pos_;
    f.header = h;
    f.payload = at(pos_) + frame_header_size;
    pos_ += frame_header_size + h.length;
    earn(frame_header_size + h.length);
    return step::frame;
  }
  const std::byte* at(std::uint64_t pos) const noexcept { return buf_.data() + (pos - buf_start_); }

  bool ensure(std::uint64_t pos, std::uint64_t n) {
    if (pos + n > size_) return false;
    if (buf_len_ && pos >= buf_start_ && pos + n <= buf_start_ + buf_len_) return true;
    if (z_) return load_blocks(pos, n);
    auto want = std::min<std::uint64_t>(std::max<std::uint64_t>(n, chunk), size_ - pos);
    if (buf_.size() < want) buf_.resize(want);
    auto got = pread_full(fd_.get(), buf_.data(), want, pos);
    if (got < 0) err_ = errno;
    buf_start_ = pos;
    buf_len_ = got < 0 ? 0 : static_cast<std::uint64_t>(got);
    return buf_len_ >= n;
  }

  // Work bound (docs/format.md, "Resynchronisation"): a crafted segment with a plausible header
  // every few bytes would make each candidate cost a read and a checksum of up to 16 MiB, so
  // quadratic time. Checksumming is paid from a budget that starts at twice the largest frame
  // and earns budget_per_byte for every byte the scanner moves past; a candidate the budget
  // cannot pay for is not a frame (its bytes are reported as damage). Valid frames earn more than
  // they cost, so only adversarial input ever runs the budget out.
  static constexpr std::uint64_t budget_per_byte = 64;
  void earn(std::uint64_t bytes) noexcept { budget_ += budget_per_byte * bytes; }

  bool frame_at(std::uint64_t pos, frame_header& h) {
    if (!ensure(pos, frame_header_size)) return false;
    h = decode_frame_header(at(pos));
    if (!plausible(h) || pos + frame_header_size + h.length > size_) return false;
    const std::uint64_t cost = frame_header_size + h.length;
    if (cost > budget_) return false;
    budget_ -= cost;
    checked_ += cost;
    if (!ensure(pos, frame_header_size + h.length)) return false;
    // A columns block's frames were framed (CRC computed) by the decoder of a block whose own
    // checksum held: checking each frame again would only double the cost of reading them.
    if (z_ && z_->trusted) return true;
    return check_frame(at(pos), frame_header_size + h.length, h) == frame_check::ok;
  }

  std::string reason_at(std::uint64_t pos) {
    if (!ensure(pos, frame_header_size)) return "truncated frame header";
    auto h = decode_frame_header(at(pos));
    if (!plausible(h)) return "implausible frame header";
    if (pos + frame_header_size + h.length > size_) return "frame extends past end of file";
    return "frame checksum mismatch";
  }

  bool resync(std::uint64_t from, std::uint64_t& found) {
    frame_header h;
    for (std::uint64_t q = from; q + frame_header_size <= size_; ++q) {
      earn(1);
      if (frame_at(q, h)) {
        found = q;
        return true;
      }
    }
    return false;
  }

  // A compressed segment: the whole file is one damage when its header or block table cannot be
  // trusted (the reason says which); otherwise frames are read from decoded blocks.
  void open_compressed() {
    stored_size_ = size_;
    std::string why;
    int read_err = 0;
    auto ix = read_compressed_index(fd_.get(), size_, first_, why, read_err);
    header_ = header_check::ok;
    z_.emplace();
    if (read_err) err_ = read_err;
    if (!ix) {
      z_->broken = why;
      z_->ix.blocks.push_back({segment_header_size, 0, 0, 0, 0, 0});
      return;
    }
    z_->ix = std::move(*ix);
    size_ = z_->ix.logical_size;
    z_->bad.assign(z_->ix.blocks.size(), std::string{});
  }
  // Before reading at pos_: the block holding it decodes, or it is reported as damage naming
  // the block (index and file offset) and skipped; the next block starts with a frame.
  bool block_ready(damage& d) {
    if (!z_->broken.empty()) {
      d = damage{path_, pos_, stored_size_ > pos_ ? stored_size_ - pos_ : 0, z_->broken};
      pos_ = size_ = std::max<std::uint64_t>(pos_, segment_header_size);
      return false;
    }
    // Inside blocks already decoded (so not damaged): no search for the block at every frame.
    if (buf_len_ && pos_ >= buf_start_ && pos_ + frame_header_size <= buf_start_ + buf_len_)
      return true;
    const auto b = z_->ix.block_of(pos_);
    if (b >= z_->ix.blocks.size()) return true;
    const auto& e = z_->ix.blocks[b];
    if (z_->bad[b].empty() &&
        ensure(pos_, std::min<std::uint64_t>(frame_header_size, e.raw_pos + e.raw_len - pos_)))
      return true;
    if (err_) return false;  // next() ends on the read error
    d = damage{path_, pos_, e.raw_pos + e.raw_len - pos_,
               "compressed block " + std::to_string(b) + " at file offset " +
                   std::to_string(e.file_pos) + " (" + std::to_string(e.stored_len) +
                   " bytes): " + z_->bad[b]};
    pos_ = e.raw_pos + e.raw_len;
    return false;
  }
  // Decodes the blocks covering [pos, pos + n) into buf_.
  bool load_blocks(std::uint64_t pos, std::uint64_t n) {
    auto b = z_->ix.block_of(pos);
    if (b >= z_->ix.blocks.size() || !z_->bad[b].empty()) return false;
    buf_start_ = z_->ix.blocks[b].raw_pos;
    buf_len_ = 0;
    z_->trusted = true;
    std::vector<std::byte> one;
    for (; b < z_->ix.blocks.size() && buf_start_ + buf_len_ < pos + n; ++b) {
      const auto& e = z_->ix.blocks[b];
      auto& dst = buf_len_ == 0 ? buf_ : one;
      int read_err = 0;
      if (!decode_block(fd_.get(), e, z_->stored, z_->scratch, dst, z_->bad[b], read_err, crcs_)) {
        if (read_err) err_ = read_err, z_->bad[b].clear();
        if (buf_len_ == 0) return false;
        break;
      }
      if (&dst == &one) {
        buf_.resize(buf_len_ + e.raw_len);
        std::memcpy(buf_.data() + buf_len_, one.data(), e.raw_len);
      }
      z_->trusted = z_->trusted && e.codec != static_cast<std::uint8_t>(block_codec::stored);
      buf_len_ += e.raw_len;
    }
    return pos + n <= buf_start_ + buf_len_;
  }

  std::optional<compressed_read_state> z_;
  std::uint64_t stored_size_ = 0;
  bool crcs_ = true;

  std::filesystem::path path_;
  offset_t first_ = 0;
  unique_fd fd_;
  header_check header_ = header_check::short_file;
  std::uint64_t size_ = 0, pos_ = 0;
  std::vector<std::byte> buf_;
  std::uint64_t buf_start_ = 0, buf_len_ = 0;
  std::uint64_t budget_ = 2 * (frame_header_size + std::uint64_t{max_payload_bytes});
  int err_ = 0;
  std::uint64_t checked_ = 0;
};

// Creates a segment file with its header (synced, with its directory, when `sync`); returns 0
// or the errno, with `what` naming the step that failed. Only an incomplete segment (a crash
// while creating it) is ever in the way; O_EXCL after removing it means a planted symlink is
// never written through, and a segment holding data is never replaced.
inline int create_segment(const std::filesystem::path& p, offset_t first, bool sync, unique_fd& out,
                          std::string& what) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode) && st.st_size > static_cast<off_t>(segment_header_size))
      return what = "create (a segment with data is there)", EEXIST;
    (void)::unlink(p.c_str());
  }
  unique_fd fd(sys::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | no_follow, file_mode));
  if (!fd) return what = "create", errno;
  std::byte hdr[segment_header_size];
  encode_segment_header(hdr, first);
  std::size_t done = 0;
  int rc = write_all(fd.get(), hdr, sizeof hdr, done);
  if (rc) what = "write";
  if (!rc && sync && (sys::fdatasync(fd.get()) != 0 || fsync_dir(p.parent_path()) != 0))
    rc = errno, what = "sync";
  if (rc) {
    ::unlink(p.c_str());
    return rc;
  }
  out = std::move(fd);
  return 0;
}

// Result of reading a whole segment (recovery of the last segment, verify, index rebuild).
struct segment_scan {
  segment_summary summary;
  std::vector<damage> damages;  // header damage and skipped ranges (not the tail)
  std::uint64_t valid_end_pos = segment_header_size;  // file position after the last valid frame
  std::uint64_t tail_bytes = 0;   // bytes after the last valid frame that form no valid frame
  std::uint64_t tail_frames = 0;  // partial frames in that tail (for the recovery report)
  header_check header = header_check::ok;
  bool opened = false;
  int error = 0;  // errno of a failed open or read: the summary is then incomplete, not empty
  std::int64_t first_ts = 0;  // ts of the first valid frame
  bool compressed = false;    // a compressed (sealed) segment, whole or broken: never appended to
  std::uint64_t stored_size = 0;  // bytes of the file itself (file_size is the raw size)
};

inline segment_scan scan_segment(const std::filesystem::path& p, offset_t first,
                                 std::uint64_t index_interval = 64u << 10) {
  segment_scan r;
  r.summary.first = r.summary.end = first;
  segment_scanner sc;
  if (!sc.open(p, first)) {
    r.error = sc.error();
    r.summary.readable = false;
    return r;
  }
  r.opened = true;
  r.compressed = sc.compressed();
  r.header = sc.header_status();
  if (r.header != header_check::ok && r.header != header_check::short_file)
    r.damages.push_back({p, 0, segment_header_size, to_string(r.header)});
  scanned_frame f;
  damage d;
  for (;;) {
    auto s = sc.next(f, d);
    if (s == segment_scanner::step::frame) {
      if (r.summary.records == 0) r.first_ts = f.header.ts_ns;
      r.summary.add(sc.offset_of(f.pos), f.header.ts_ns, f.size(), index_interval);
      r.valid_end_pos = f.pos + f.size();
    } else if (s == segment_scanner::step::damage) {
      r.damages.push_back(d);
    } else {
      break;
    }
  }
  r.summary.file_size = sc.file_size();
  r.stored_size = sc.stored_size();
  if (sc.error()) {
    r.error = sc.error();
    r.summary.readable = false;
    return r;
  }
  r.valid_end_pos = std::max<std::uint64_t>(r.valid_end_pos, sc.pos());
  if (sc.file_size() > r.valid_end_pos && sc.file_size() >= segment_header_size) {
    r.tail_bytes = sc.file_size() - r.valid_end_pos;
    // Walk the plausible headers in the tail only to say how many frames were torn.
    std::uint64_t pos = r.valid_end_pos;
    unique_fd fd(sys::open(p.c_str(), O_RDONLY | no_follow));
    while (fd && pos < sc.file_size()) {
      ++r.tail_frames;
      std::byte hb[frame_header_size];
      if (pread_full(fd.get(), hb, sizeof hb, pos) != static_cast<ssize_t>(sizeof hb)) break;
      auto h = decode_frame_header(hb);
      if (!plausible(h)) break;
      pos += frame_header_size + h.length;
    }
  }
  return r;
}

}  // namespace introspect::inline v1::store::detail
