#pragma once
//! sink::jsonl_file (the tiny tier's): jsonl_sink buffers records as JSON lines in memory and
//! writes them as whole lines to rotating files at each flush; every file starts with a header
//! and the state table, so any single file is self-contained. Its engine is inline_engine: no
//! thread, the product's calls and tick() drive the period.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

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

//! The JSON-lines sink: bounded (buffer_bytes), never throws into the product; a failed write
//! keeps the records and retries at the next flush. Not thread-safe: its engine locks.
class jsonl_sink {
 public:
  using input = record_view;
  static constexpr int threads = 0;

  //! `c` is complete (detail::complete): store, instance and the file limits are set.
  explicit jsonl_sink(const config& c)
      : store_(c.store),
        on_error_(c.on_error),
        buffer_bytes_(c.buffer_bytes),
        enc_(c.instance),
        file_(c.store, detail::sanitize_instance(c.instance), c.file_bytes, c.files_kept) {}
  jsonl_sink(const jsonl_sink&) = delete;
  jsonl_sink& operator=(const jsonl_sink&) = delete;

  //! Buffers one record (and updates the state table); a full buffer drops it, counted.
  void append(const record_view& r) noexcept {
    try {
      if (r.kind == record_kind::state) table_.set(r.source, r.name, r.val, r.ts_ns);
      if (buf_.size() >= buffer_bytes_) {
        ++stats_.dropped_buffer_full;
      } else {
        enc_.encode(r, buf_);
        ++stats_.records;
      }
    } catch (...) {
      ++stats_.dropped_buffer_full;  // allocation failure: the record is dropped, and counted
    }
  }

  //! Writes everything buffered, with the state table and the drop counts, as of `t`.
  bool flush(std::int64_t t) noexcept {
    // The table and drop lines are remade by every attempt: a failed one must not leave them in
    // the buffer, or each failed period adds a stale table (unbounded, past buffer_bytes).
    const std::size_t records_end = buf_.size();
    try {
      append_drop_counts(t);
      table_.for_each(t, [&](const record_view& r) { enc_.encode(r, buf_); });
      if (buf_.empty()) return false;
      const int err = file_.write(buf_, [&](std::string& out) { preamble(out, t); });
      if (err == 0) {
        buf_.clear();
        ++stats_.flushes;
        return true;
      }
      ++stats_.write_errors;  // the records are kept and retried next period
      stats_.last_errno = err;
      report(err);
    } catch (...) {
      ++stats_.write_errors;
    }
    buf_.resize(records_end);
    recorded_drops_ = recorded_errors_ = ~std::uint64_t{0};  // the next attempt writes the counts
    return false;
  }

  //! The period's work is the flush: files are written once per period.
  bool tick(std::int64_t t) noexcept { return flush(t); }

  //! The last flush, at exit: what cannot be written is counted and reported.
  void close(std::int64_t t) noexcept {
    flush(t);
    if (buf_.empty()) return;
    std::size_t lines = 0;
    for (char ch : buf_) lines += ch == '\n';
    stats_.lost_write_error += lines;
    detail::report_error(on_error_, "%zu records could not be written at exit", lines);
  }

  engine_stats stats() const noexcept { return stats_; }
  //! The file currently written (empty before the first flush).
  std::filesystem::path current_file() const { return file_.current(); }

 private:
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
    enc_.encode(r, buf_);
  }

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

  void report(int err) {
    if (reported_) return;
    reported_ = true;
    detail::report_error(on_error_,
                         "cannot write the introspection store %s: %s (records are kept in "
                         "memory up to %zu bytes and retried each period)",
                         store_.c_str(), std::strerror(err), buffer_bytes_);
  }

  std::filesystem::path store_;
  error_handler on_error_;
  std::size_t buffer_bytes_;
  jsonl_encoder enc_;
  jsonl_file_writer file_;
  state_table table_;
  std::string buf_;
  engine_stats stats_{};
  std::uint64_t recorded_drops_ = 0, recorded_errors_ = 0;
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
