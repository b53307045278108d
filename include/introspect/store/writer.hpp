#pragma once
// The single writer of a scope. Appends go to a per-stream user-space buffer; I/O errors on the
// append path are counted in write_stats, never thrown.
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/active_index.hpp>
#include <introspect/store/compactor.hpp>
#include <introspect/store/errors.hpp>
#include <introspect/store/lock_file.hpp>
#include <introspect/store/meta.hpp>
#include <introspect/store/names.hpp>
#include <introspect/store/options.hpp>
#include <introspect/store/recovery.hpp>
#include <introspect/store/retention.hpp>
#include <introspect/store/stream_io.hpp>

namespace introspect::inline v1::store {

//! Owns `<root>/<scope>` for writing: lock, streams, retention, truncation, metadata.
class writer : private detail::stream_io {
 public:
  //! Creates the scope if needed and takes its lock (throws lock_error if another writer has it).
  writer(const std::filesystem::path& root, std::string_view scope, writer_options opt = {})
      : stream_io(opt), scope_dir_(checked_scope_dir(root, scope)) {
    if (int rc = detail::make_own_dir(scope_dir_))
      throw store_error("cannot use " + scope_dir_.string() + ": " + detail::dir_problem_text(rc));
    lock_.emplace(scope_dir_ / std::string(detail::lock_name));
    auto marker = scope_dir_ / std::string(detail::scope_marker);
    struct stat st {};
    if (::lstat(marker.c_str(), &st) != 0) {
      if (int rc =
              detail::atomic_write_file(marker, detail::seal_envelope(detail::scope_magic, {})))
        throw store_error("cannot write " + marker.string() + ": " + detail::errno_text(rc));
    }
    detail::remove_leftovers(scope_dir_ / std::string(detail::meta_dir));
  }
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;
  //! close(), then the compactor gets writer_options::close_compaction_budget to finish what it
  //! holds before it stops and the lock is released; what is left stays raw (readers read both
  //! forms) and is compacted after the next open.
  ~writer() {
    close();
    if (compactor_) compactor_->finish(opt_.close_compaction_budget);  // the rest: next open
    compactor_.reset();
  }

  //! Writes what is buffered (and syncs unless durability is none); what cannot be written is
  //! counted in stats().dropped_records. Seals each active segment of a stream with a seal codec
  //! that holds writer_options::close_seal_bytes or more. Later appends are still possible.
  void close() {
    if (opt_.durability.syncs())
      sync();
    else
      flush();
    for (auto& s : streams_) {
      if (s->buf_len == 0) {
        // Sealed (and compacted) even if never filled; else recorded as left, so that a later
        // emptied or deleted one is seen.
        if (s->opt.seal == seal_codec::none || opt_.close_seal_bytes == 0 ||
            s->active.file_size < opt_.close_seal_bytes || !roll(*s))
          write_active(*s);
        continue;
      }
      stats_.dropped_records += s->buf_records;
      stats_.dropped_bytes += s->buf_len;
      s->buf_len = 0;
      s->buf_records = 0;
      undo_unflushed(*s);
    }
  }

  //! Opens (recovering after a crash) or creates a stream; same name → same id.
  stream_id stream(std::string_view name, const stream_options& o = {}) {
    validate_name(name, "stream");
    for (std::uint32_t i = 0; i < streams_.size(); ++i)
      if (streams_[i]->name == name) {
        streams_[i]->opt = o;
        return {i};
      }
    auto s = std::make_unique<detail::stream_state>();
    s->name = std::string(name);
    s->dir = scope_dir_ / s->name;
    s->opt = o;
    if (int rc = detail::make_own_dir(s->dir))
      throw store_error("cannot use " + s->dir.string() + ": " + detail::dir_problem_text(rc));
    auto r = detail::recover_stream(s->dir, o.index_interval);
    for (auto& e : r.events) recovered_.push_back(e);
    for (auto& d : r.damages) damages_.push_back(d);
    for (auto& e : r.errors) errors_.push_back(e);
    s->sealed = std::move(r.sealed);
    s->active = std::move(r.active);
    s->trunc = r.trunc;
    s->first_ts = r.active_first_ts;  // else every reopen would roll at once (segment_age)
    if (r.need_new_segment) {
      if (!open_segment(*s, s->active.first, true))
        throw store_error("cannot create a segment in " + s->dir.string() + ": " +
                          stats_.last_error);
    } else {
      s->path = r.active_path;
      s->fd = detail::unique_fd(detail::sys::open(s->path.c_str(), O_WRONLY | detail::no_follow));
      if (!s->fd)
        throw store_error("cannot open " + s->path.string() + ": " + detail::errno_text(errno));
      detail::rebuild_tix(s->tix, s->dir, s->path, s->active, opt_.durability.syncs());
    }
    s->buf.resize(opt_.buffer_bytes);
    if (o.seal != seal_codec::none && !s->sealed.empty()) {  // raw ones: compacted later, idle
      if (!compactor_) compactor_.emplace(opt_.compaction_queue, opt_.durability.syncs());
      compactor_->watch(s->dir, {.codec = o.seal}, s->active.first);
    }
    streams_.push_back(std::move(s));
    return {static_cast<std::uint32_t>(streams_.size() - 1)};
  }

  //! Appends one record; returns its offset, or nullopt when it could not be stored (counted in
  //! stats()). With per_record durability an offset means the record is on stable storage.
  std::optional<offset_t> append(stream_id id, std::int64_t ts_ns, std::uint8_t kind,
                                 std::span<const std::byte> payload, std::uint8_t flags = 0) {
    auto& s = *streams_[id.index];
    const std::size_t frame = detail::frame_header_size + payload.size();
    if (payload.size() > max_payload_bytes) return drop(frame, 0, "payload larger than 16 MiB");
    if (s.active.records > 0 &&
        (s.active.file_size + s.buf_len + frame > s.opt.segment_bytes ||
         (s.opt.segment_age && ts_ns - s.first_ts >= s.opt.segment_age->count())))
      roll(s);
    if (s.buf_len + frame > s.buf.size()) {
      flush_stream(s);
      if (s.buf_len + frame > s.buf.size()) {
        if (s.buf_len != 0) return drop(frame, 0, nullptr);
        s.buf.resize(frame);  // a record larger than the buffer
      }
    }
    // In place: the frame is encoded into the stream's buffer, its payload copied and
    // checksummed in one pass.
    detail::encode_frame_copy(s.buf.data() + s.buf_len, ts_ns, kind, flags, payload.data(),
                              static_cast<std::uint32_t>(payload.size()));
    const offset_t off = s.active.end;
    const auto undo_records = s.active.records;
    const auto undo_min = s.active.min_ts, undo_max = s.active.max_ts;
    const auto undo_entries = s.active.entries.size();
    const auto undo_tix = s.tix.size();
    if (s.active.records == 0) s.first_ts = ts_ns;
    s.active.add(off, ts_ns, frame, s.opt.index_interval);
    s.buf_len += frame;
    ++s.buf_records;
    ++stats_.records;
    stats_.bytes += frame;
    switch (opt_.durability.level) {
      case durability_level::per_record: {
        auto size_before = s.active.file_size;
        if (!flush_stream(s) || !sync_stream(s)) {
          // Not acknowledged, so not kept: the caller may retry with the same bytes.
          if (detail::sys::ftruncate(s.fd.get(), static_cast<off_t>(size_before)) == 0)
            s.active.file_size = size_before;
          auto n = s.buf_len;
          s.buf_len = 0;
          s.buf_records = 0;
          s.active.records = undo_records;
          s.active.min_ts = undo_min;
          s.active.max_ts = undo_max;
          s.active.entries.resize(undo_entries);
          s.tix.cut(undo_tix, undo_entries);
          s.active.end = s.active.first + (s.active.file_size - detail::segment_header_size);
          return drop(n, 1, nullptr);
        }
        break;
      }
      case durability_level::every_n:
        if (++s.since_sync >= opt_.durability.n && flush_stream(s)) sync_stream(s);
        break;
      default:
        break;
    }
    return off;
  }
  //! Same, for text payloads.
  std::optional<offset_t> append(stream_id id, std::int64_t ts_ns, std::uint8_t kind,
                                 std::string_view payload, std::uint8_t flags = 0) {
    return append(id, ts_ns, kind, std::as_bytes(std::span(payload.data(), payload.size())), flags);
  }

  //! write(2)s every buffer; false if some data is still buffered (see stats()).
  bool flush() {
    bool ok = true;
    for (auto& s : streams_) ok = flush_stream(*s) && ok;
    return ok;
  }
  //! flush() then fdatasync every stream.
  bool sync() {
    bool ok = true;
    for (auto& s : streams_) ok = flush_stream(*s) && sync_stream(*s) && ok;
    return ok;
  }
  //! What the durability level asks of a periodic tick: sync for on_tick, flush otherwise.
  bool tick() { return opt_.durability.level == durability_level::on_tick ? sync() : flush(); }

  //! Removes whole sealed segments past each stream's retention limits (and any that
  //! truncation hid); rolls segments older than segment_age first. Metadata is never touched.
  void apply_retention(std::int64_t now_ns) {
    for (auto& sp : streams_) {
      auto& s = *sp;
      if (s.opt.segment_age && s.active.records > 0 &&
          now_ns - s.first_ts >= s.opt.segment_age->count())
        roll(s);
      retry_unreadable(s);
      write_truncation_copy(s);
      remove_prefix(s, detail::expired_prefix(s.sealed, s.active, s.opt, now_ns, s.trunc));
    }
  }

  //! Durably hides every record with ts < before_ts (and any later out-of-order one).
  void truncate(stream_id id, std::int64_t before_ts) {
    auto& s = *streams_[id.index];
    auto t = s.trunc;
    t.ts_ns = std::max(t.ts_ns, before_ts);
    for (auto& seg : s.sealed) {
      if (seg.records > 0 && seg.max_ts >= before_ts) break;
      t.offset = std::max(t.offset, seg.end);
    }
    if (s.active.records > 0 && s.active.max_ts < before_ts)
      t.offset = std::max(t.offset, s.active.end);
    set_truncation(s, t);
  }
  //! Durably hides every record with offset < `offset` (clamped to the stream's end).
  void truncate_offset(stream_id id, offset_t offset) {
    auto& s = *streams_[id.index];
    auto t = s.trunc;
    t.offset = std::max(t.offset, std::min(offset, s.active.end));
    set_truncation(s, t);
  }

  //! Stores a named blob atomically and durably; never removed by retention or truncation.
  void put_meta(std::string_view name, std::span<const std::byte> bytes) {
    detail::write_meta(scope_dir_, name, bytes);
  }
  void put_meta(std::string_view name, std::string_view text) {
    put_meta(name, std::as_bytes(std::span(text.data(), text.size())));
  }
  //! The blob, or nullopt if missing or failing its checksum.
  std::optional<std::vector<std::byte>> get_meta(std::string_view name) const {
    return detail::read_meta(scope_dir_, name);
  }

  //! The append path's counters; `compacted` is the compactor's count as of this call.
  const write_stats& stats() const noexcept {
    if (compactor_) stats_.compacted = compactor_->compacted();
    return stats_;
  }
  //! What the compactor thread did (zeros when no segment was handed to it yet).
  compaction_stats compaction() const {
    return compactor_ ? compactor_->stats() : compaction_stats{};
  }
  //! Waits until the compactor has done every sealed segment it holds (tools and tests: a
  //! product's writer thread never waits for it).
  void wait_compaction() {
    if (compactor_) compactor_->wait_idle();
  }
  //! Whether a compactor thread was started (only once a segment is sealed with a codec).
  bool compacting() const noexcept { return compactor_.has_value(); }
  //! Torn tails cut while opening streams.
  const std::vector<recovery_event>& recovered() const noexcept { return recovered_; }
  //! Damage found while opening streams (kept in place; readers skip it).
  const std::vector<damage>& damages() const noexcept { return damages_; }
  //! Files that could not be read while opening streams; kept, never taken for empty.
  const std::vector<read_error>& read_errors() const noexcept { return errors_; }
  const std::filesystem::path& scope_path() const noexcept { return scope_dir_; }
  //! Offset the next append to this stream will get.
  offset_t end_offset(stream_id id) const { return streams_[id.index]->active.end; }
  truncation_point truncation(stream_id id) const { return streams_[id.index]->trunc; }
  const struct durability& durability() const noexcept { return opt_.durability; }

 private:
  static std::filesystem::path checked_scope_dir(const std::filesystem::path& root,
                                                 std::string_view scope) {
    validate_name(scope, "scope");
    return root / std::string(scope);
  }

  // Seal the active segment (write its index), continue in a new one; on failure grow this one.
  bool roll(detail::stream_state& s) {
    if (!flush_stream(s)) return false;
    if (opt_.durability.syncs() && !sync_stream(s)) return false;
    auto sealed = s.active;
    auto idx = s.dir / detail::segment_idx_name(sealed.first);
    if (int rc =
            detail::atomic_write_file(idx, detail::encode_index(sealed), opt_.durability.syncs()))
      count_error(rc, "write " + idx.string());  // not fatal: the index is rebuilt on open
    else
      s.tix.retire();
    auto old_fd = std::move(s.fd);
    auto old_path = s.path;
    if (!open_segment(s, sealed.end, true)) {
      s.fd = std::move(old_fd);
      s.path = old_path;
      return false;
    }
    // On the compactor's thread: a 64 MiB segment takes ~1 s of CPU to compact, which would
    // stall the writer; a segment the compactor cannot take (queue full) or fails simply
    // stays raw.
    if (s.opt.seal != seal_codec::none) {
      if (!compactor_) compactor_.emplace(opt_.compaction_queue, opt_.durability.syncs());
      compactor_->submit(old_path, sealed.first, {.codec = s.opt.seal});
    }
    s.sealed.push_back(std::move(sealed));
    ++stats_.rolls;
    return true;
  }

  void remove_prefix(detail::stream_state& s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto& seg = s.sealed[i];
      auto log = s.dir / detail::segment_log_name(seg.first);
      if (compactor_) compactor_->forget(log);  // before the unlink: a rename would restore it
      if (detail::sys::unlink(log.c_str()) != 0 && errno != ENOENT) {
        count_error(errno, "remove " + log.string());
        n = i;  // keep it and everything after it: the prefix stays contiguous
        break;
      }
      (void)detail::sys::unlink((s.dir / detail::segment_idx_name(seg.first)).c_str());
      (void)detail::sys::unlink((s.dir / detail::segment_tix_name(seg.first)).c_str());
      ++stats_.segments_removed;
    }
    if (n) {
      s.sealed.erase(s.sealed.begin(), s.sealed.begin() + static_cast<std::ptrdiff_t>(n));
      if (opt_.durability.syncs()) (void)detail::fsync_dir(s.dir);
    }
  }

  void set_truncation(detail::stream_state& s, const truncation_point& t) {
    auto p = s.dir / std::string(detail::truncation_name);
    int rc = detail::atomic_write_file(p, detail::encode_truncation(t));
    if (rc == ENOSPC) {  // a full disk (compacted segments leave no slack): make room with the
      // segments wholly before t and retry; a crash in between loses only records t hides
      remove_prefix(s, detail::expired_prefix(s.sealed, s.active, stream_options{}, 0, t));
      rc = detail::atomic_write_file(p, detail::encode_truncation(t));
    }
    if (rc) throw store_error("cannot write " + p.string() + ": " + detail::errno_text(rc));
    s.trunc = t;
    if (s.active.records > 0 && s.active.end <= t.offset) roll(s);
    remove_prefix(s, detail::expired_prefix(s.sealed, s.active, stream_options{}, 0, s.trunc));
    s.trunc_copy_pending = true;  // the second copy after the removal: that makes room for it
    write_truncation_copy(s);
  }

  // Two copies: one damaged file never brings truncated records back; apply_retention retries.
  void write_truncation_copy(detail::stream_state& s) {
    if (!s.trunc_copy_pending) return;
    auto p = s.dir / std::string(detail::truncation_copy_name);
    if (int rc = detail::atomic_write_file(p, detail::encode_truncation(s.trunc)))
      return count_error(rc, "write " + p.string());
    s.trunc_copy_pending = false;
  }

  std::filesystem::path scope_dir_;
  std::optional<lock_file> lock_;
  std::optional<compactor> compactor_;  // after lock_: stops before the lock is released
  std::vector<std::unique_ptr<detail::stream_state>> streams_;
  std::vector<recovery_event> recovered_;
  std::vector<damage> damages_;
  std::vector<read_error> errors_;
};

}  // namespace introspect::inline v1::store
