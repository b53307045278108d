#pragma once
//! sink::jsonl_file (the tiny tier's): jsonl_sink encodes records as JSON lines into one fixed
//! buffer and writes it as whole lines to rotating files when full, at each period and at exit;
//! every file starts with a header and the state table, so any single file is self-contained. Its
//! engine is inline_engine: no thread, the product's calls and tick() drive the period.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <introspect/core/config.hpp>
#include <introspect/core/error_handler.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/inline_engine.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/engine/state_table.hpp>
#include <introspect/engine/stats.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/sink/detail/jsonl_file_writer.hpp>

namespace introspect::inline v1 {

//! The JSON-lines sink: one fixed buffer (config::buffer_bytes, 64 KiB by default, allocated
//! once) written to the file when the next line would not fit, at each period and at exit, as
//! spdlog's file sink does: a flood writes through while the disk keeps up, and the memory a
//! period holds is the buffer, not the period's records. Only when the file cannot be written
//! are records dropped (counted, the count recorded). Never throws into the product. Not
//! thread-safe: its engine locks.
class jsonl_sink {
 public:
  using input = record_view;
  static constexpr int threads = 0;
  //! The smallest buffer: a few lines; a smaller config::buffer_bytes is raised to it.
  static constexpr std::size_t min_buffer_bytes = 4096;

  //! `c` is complete (detail::complete): store, instance and the file limits are set.
  explicit jsonl_sink(const config& c)
      : store_(c.store.native()),
        on_error_(c.on_error),
        cap_(c.buffer_bytes < min_buffer_bytes ? min_buffer_bytes : c.buffer_bytes),
        buf_(new char[cap_]),  // the one allocation: lines are written into it, never past cap_
        enc_(c.instance),
        file_(store_, detail::sanitize_instance(c.instance), c.file_bytes, c.files_kept) {}
  jsonl_sink(const jsonl_sink&) = delete;
  jsonl_sink& operator=(const jsonl_sink&) = delete;

  //! Buffers one record (and updates the state table); a full buffer is written first.
  void append(const record_view& r) noexcept {
    try {
      if (r.kind == record_kind::state) table_.set(r.source, r.name, r.val, r.ts_ns);
      if (put(r, true)) {
        ++stats_.records;
        records_end_ = len_;
      }
    } catch (...) {
      ++stats_.dropped_buffer_full;  // allocation failure: the record is dropped, and counted
    }
  }

  //! Writes everything buffered, with the state table and the drop counts, as of `t`.
  bool flush(std::int64_t t) noexcept {
    blocked_ = false;  // a period is when a failed store is tried again
    try {
      // The records first: if they cannot be written, nothing else is added to the buffer (the
      // table and drop lines are remade by every attempt; a failed one must not leave them in
      // the buffer, or each failed period would add a stale table).
      if (records_end_ && !write_out(t)) return false;
      append_drop_counts(t);
      bool ok = true;
      table_.for_each(t, [&](const record_view& r) { ok = ok && put(r, false); });
      const bool wrote = wrote_since_flush_;
      if (ok && len_) ok = write_out(t);
      if (ok && (wrote || wrote_since_flush_)) {
        wrote_since_flush_ = false;
        ++stats_.flushes;
        return true;
      }
    } catch (...) {
      ++stats_.write_errors;
    }
    len_ = records_end_;  // drop a table that could not be written: remade next time
    recorded_drops_ = recorded_errors_ = ~std::uint64_t{0};  // the next attempt writes the counts
    return false;
  }

  //! The period's work is the flush: the state table and what is buffered, once per period.
  bool tick(std::int64_t t) noexcept { return flush(t); }

  //! The last flush, at exit: what cannot be written is counted and reported.
  void close(std::int64_t t) noexcept {
    flush(t);
    if (records_end_ == 0) return;
    std::size_t lines = 0;
    for (std::size_t i = 0; i < records_end_; ++i) lines += buf_[i] == '\n';
    stats_.lost_write_error += lines;
    detail::report_error(on_error_, "%zu records could not be written at exit", lines);
  }

  engine_stats stats() const noexcept { return stats_; }
  //! The file currently written (empty before the first write).
  std::filesystem::path current_file() const { return file_.current(); }
  //! The buffer's size: fixed at construction.
  std::size_t buffer_capacity() const noexcept { return cap_; }

 private:
  // Encodes r into the buffer, writing the buffer out first if the line might not fit. A line
  // that might not fit even an empty buffer goes through a temporary string (released after),
  // then into the buffer or, larger than the whole buffer, to the file on its own. False when r
  // could not be kept: the file cannot be written (counted as dropped when `record`; table lines
  // are simply remade by the next flush).
  bool put(const record_view& r, bool record) {
    const std::size_t bound = enc_.max_bytes(r);
    if (len_ + bound > cap_) {
      if (blocked_ || (len_ && !write_out(r.ts_ns))) {
        if (record) ++stats_.dropped_buffer_full;
        return false;
      }
      if (bound > cap_) {
        std::string line;
        enc_.encode(r, line);
        if (line.size() <= cap_) {
          std::memcpy(buf_.get(), line.data(), line.size());
          len_ = line.size();
          return true;
        }
        if (const int err = file_.write(line, preamble_at{this, r.ts_ns})) {
          failed(err);
          if (record) ++stats_.lost_write_error;
          return false;
        }
        wrote_since_flush_ = true;
        return true;
      }
    }
    len_ = static_cast<std::size_t>(enc_.encode_to(r, buf_.get() + len_) - buf_.get());
    return true;
  }

  // Writes the whole buffer; on failure keeps it (the records are retried at the next period)
  // and stops writing through until then.
  bool write_out(std::int64_t t) {
    const int err = file_.write(std::string_view(buf_.get(), len_), preamble_at{this, t});
    if (err == 0) {
      len_ = 0;
      records_end_ = 0;
      wrote_since_flush_ = true;
      return true;
    }
    failed(err);
    return false;
  }

  void failed(int err) {
    ++stats_.write_errors;  // the records are kept and retried next period
    stats_.last_errno = err;
    blocked_ = true;
    if (reported_) return;
    reported_ = true;
    detail::report_error(on_error_,
                         "cannot write the introspection store %s: %s (records are kept in a "
                         "buffer of %zu bytes and retried each period; more are dropped, counted)",
                         store_.c_str(), std::strerror(err), cap_);
  }

  void append_drop_counts(std::int64_t t) {
    if (stats_.dropped() == recorded_drops_ && stats_.write_errors == recorded_errors_) return;
    recorded_drops_ = stats_.dropped();
    recorded_errors_ = stats_.write_errors;
    const field_view f[] = {
        {"buffer_full", stats_.dropped_buffer_full},
        {"oversize", stats_.dropped_oversize},
        {"write_error", stats_.lost_write_error},
        {"write_errors", stats_.write_errors},
        {"errno", stats_.last_errno},
    };
    record_view r;
    r.ts_ns = t;
    r.kind = record_kind::meta;
    r.source = "introspect";
    r.name = "introspect.dropped";
    r.fields = f;
    put(r, false);
  }

  // One callable type for every write: the file writer's rotate() is instantiated once.
  struct preamble_at {
    jsonl_sink* sink;
    std::int64_t t;
    void operator()(std::string& out) const { sink->preamble(out, t); }
  };

  void preamble(std::string& out, std::int64_t t) {
    const field_view f[] = {{"format", "introspect-jsonl"},
                            {"version", 1},
                            {"sequence", file_.sequence()},
                            {"state_keys", table_.size()}};
    record_view h;
    h.ts_ns = t;
    h.kind = record_kind::meta;
    h.source = "introspect";
    h.name = "introspect.file";
    h.fields = f;
    enc_.encode(h, out);
    table_.for_each(t, [&](const record_view& r) { enc_.encode(r, out); });
  }

  std::string store_;
  error_handler on_error_;
  std::size_t cap_;
  std::unique_ptr<char[]> buf_;  // cap_ bytes
  std::size_t len_ = 0;
  std::size_t records_end_ = 0;  // buf_[0, records_end_) are records; past it, table lines
  jsonl_encoder enc_;
  jsonl_file_writer file_;
  state_table table_;
  engine_stats stats_{};
  std::uint64_t recorded_drops_ = 0, recorded_errors_ = 0;
  bool blocked_ = false;            // a write failed: no write-through until the next period
  bool wrote_since_flush_ = false;  // something reached the file since the last flush
  bool reported_ = false;
};

namespace detail {
template <class Resolved>
struct sink_for<sink::jsonl_file, Resolved> {
  using type = jsonl_sink;
};
// JSON-lines files are written each period; cadences without a period flush each 60 s.
template <class Resolved>
struct engine_for<sink::jsonl_file, Resolved> {
  static constexpr std::int64_t period =
      Resolved::cadence::period_ns > 0 ? Resolved::cadence::period_ns : 60'000'000'000;
  using type = inline_engine<jsonl_sink, period>;
};
}  // namespace detail

}  // namespace introspect::inline v1
