#pragma once
// The writer's per-stream state and its file primitives (buffered write, sync, segment
// creation), apart from the policy in writer.hpp (rolling, retention, truncation, compaction).
// I/O errors are counted in write_stats, never thrown.
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <introspect/store/active_index.hpp>
#include <introspect/store/errors.hpp>
#include <introspect/store/options.hpp>
#include <introspect/store/recovery.hpp>

namespace introspect::inline v1::store::detail {

// One stream of a writer: its segments' summaries, the active segment's file and buffer.
struct stream_state {
  std::string name;
  std::filesystem::path dir, path;
  stream_options opt;
  std::vector<segment_summary> sealed;
  segment_summary active;  // file_size = bytes in the file (not the buffer)
  unique_fd fd;
  std::vector<std::byte> buf;
  std::size_t buf_len = 0;
  std::uint64_t buf_records = 0;  // records in buf: counted as dropped if never written
  std::int64_t first_ts = 0;
  std::uint32_t since_sync = 0;
  truncation_point trunc;
  bool trunc_copy_pending = false;
  tix_writer tix;  // the active segment's time index (.tix)
};

// The writer's primitives on a stream_state; the writer derives from it.
class stream_io {
 protected:
  explicit stream_io(writer_options o) : opt_(o) {}

  std::nullopt_t drop(std::size_t bytes, std::uint64_t records, const char* why) {
    stats_.dropped_records += records == 0 ? 1 : records;
    stats_.dropped_bytes += bytes;
    if (why) stats_.last_error = why;
    return std::nullopt;
  }
  void count_error(int err, const std::string& what) {
    if (err == ENOSPC || err == EDQUOT)
      ++stats_.enospc;
    else
      ++stats_.io_error;
    stats_.last_error = what + ": " + errno_text(err);
  }

  // pwrite at the committed size so that a partial write is simply overwritten next time.
  bool flush_stream(stream_state& s) {
    if (s.buf_len == 0) return true;
    std::size_t done = 0;
    int err = 0;
    while (done < s.buf_len) {
      auto w = sys::pwrite(s.fd.get(), s.buf.data() + done, s.buf_len - done,
                           static_cast<off_t>(s.active.file_size + done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : EIO;
        break;
      }
      done += static_cast<std::size_t>(w);
    }
    if (err) {
      count_error(err, "write " + s.path.string());
      if (err == ENOSPC || err == EDQUOT) s.tix.retire();  // records first: its space for them
      if (done) (void)sys::ftruncate(s.fd.get(), static_cast<off_t>(s.active.file_size));
      return false;
    }
    // The index follows the frames it points at, so an entry never names unwritten bytes.
    tix_append_written(s.tix, s.active.entries,
                       s.active.first + s.active.file_size - segment_header_size,
                       {s.buf.data(), s.buf_len});
    s.active.file_size += s.buf_len;
    s.buf_len = 0;
    s.buf_records = 0;
    ++stats_.writes;
    return true;
  }
  bool sync_stream(stream_state& s) {
    s.since_sync = 0;
    if (sys::fdatasync(s.fd.get()) != 0) {
      count_error(errno, "fdatasync " + s.path.string());
      return false;
    }
    ++stats_.syncs;
    return true;
  }

  bool open_segment(stream_state& s, offset_t first, bool durable) {
    auto p = s.dir / segment_log_name(first);
    unique_fd fd;
    std::string what;
    if (int rc = create_segment(p, first, durable && opt_.durability.syncs(), fd, what))
      return count_error(rc, what + " " + p.string()), false;
    s.fd = std::move(fd);
    s.path = p;
    s.active = segment_summary{};
    s.active.first = s.active.end = first;
    s.active.file_size = segment_header_size;
    write_active(s);
    (void)s.tix.create(s.dir / segment_tix_name(first), first, {}, false);
    return true;
  }

  // After buffered records were given up: rescan the file (the rare failure path).
  void undo_unflushed(stream_state& s) {
    auto scan = scan_segment(s.path, s.active.first, s.opt.index_interval);
    if (scan.error) return;
    s.active = std::move(scan.summary);
    s.tix.done = s.active.entries.size();
    s.active.file_size = scan.valid_end_pos;
    s.active.end = s.active.first + (scan.valid_end_pos - segment_header_size);
  }

  void write_active(stream_state& s) {
    auto p = s.dir / std::string(active_name);
    auto bytes = encode_active({s.active.first, s.active.file_size, s.active.records});
    if (int rc = atomic_write_file(p, bytes, opt_.durability.syncs()))
      count_error(rc, "write " + p.string());  // not fatal: only a check for verify is lost
  }

  // A sealed segment that could not be read at open: look again (the cause may have passed).
  void retry_unreadable(stream_state& s) {
    for (auto& seg : s.sealed) {
      if (seg.readable) continue;
      auto scan =
          scan_segment(s.dir / segment_log_name(seg.first), seg.first, s.opt.index_interval);
      if (scan.error) break;
      seg = std::move(scan.summary);
    }
  }

  writer_options opt_;
  mutable write_stats stats_;  // mutable: stats() folds in the compactor's count
};

}  // namespace introspect::inline v1::store::detail
