#pragma once
//! The tiny tier's engine: no thread. The product's own calls and tick() drive the period;
//! records are buffered in memory and written as whole lines once per period and at exit.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include <introspect/core/config.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/state_table.hpp>
#include <introspect/engine/stats.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/sink/jsonl_file.hpp>

namespace introspect::inline v1 {

//! Synchronous JSON-lines engine; thread-safe, bounded, never throws into the product.
template <std::int64_t PeriodNs>
class sync_engine {
 public:
  static constexpr int threads = 0;

  explicit sync_engine(config c)
      : cfg_(detail::complete(std::move(c))),
        instance_(detail::sanitize_instance(cfg_.instance)),
        enc_(cfg_.instance),
        file_(cfg_.store, instance_, cfg_.file_bytes, cfg_.files_kept),
        last_flush_(cfg_.clock()) {}
  sync_engine(const sync_engine&) = delete;
  sync_engine& operator=(const sync_engine&) = delete;
  ~sync_engine() { final_flush(); }

  const config& cfg() const noexcept { return cfg_; }
  std::int64_t now() const noexcept { return cfg_.clock(); }

  //! Buffers one record (and updates the state table); flushes if the period has elapsed.
  void emit(const record_view& r) noexcept {
    try {
      std::lock_guard lock(mu_);
      if (r.kind == record_kind::state) table_.set(r.source, r.name, r.val, r.ts_ns);
      if (buf_.size() >= cfg_.buffer_bytes) {
        ++stats_.dropped_buffer_full;
      } else {
        enc_.encode(r, buf_);
        ++stats_.records;
      }
      if (r.ts_ns - last_flush_ >= PeriodNs) flush_locked(r.ts_ns);
    } catch (...) {
      ++stats_.dropped_buffer_full;  // allocation failure: the record is dropped, and counted
    }
  }

  //! Drives the period when the product is idle: writes if the period has elapsed.
  void tick() noexcept {
    const auto t = now();
    std::lock_guard lock(mu_);
    if (t - last_flush_ >= PeriodNs) flush_locked(t);
  }

  //! Writes everything buffered now, with the state table.
  void flush() noexcept {
    const auto t = now();
    std::lock_guard lock(mu_);
    flush_locked(t);
  }

  engine_stats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  //! The file currently written (empty before the first flush).
  std::filesystem::path current_file() const {
    std::lock_guard lock(mu_);
    return file_.current();
  }

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

  void flush_locked(std::int64_t t) noexcept {
    // The table and drop lines are remade by every attempt: a failed one must not leave them in
    // the buffer, or each failed period adds a stale table (unbounded, past buffer_bytes).
    const std::size_t records_end = buf_.size();
    try {
      last_flush_ = t;
      append_drop_counts(t);
      table_.for_each(t, [&](const record_view& r) { enc_.encode(r, buf_); });
      if (buf_.empty()) return;
      const int err = file_.write(buf_, [&](std::string& out) { preamble(out, t); });
      if (err == 0) {
        buf_.clear();
        ++stats_.flushes;
        return;
      }
      ++stats_.write_errors;  // the records are kept and retried next period
      stats_.last_errno = err;
      report(err);
    } catch (...) {
      ++stats_.write_errors;
    }
    buf_.resize(records_end);
    recorded_drops_ = recorded_errors_ = ~std::uint64_t{0};  // the next attempt writes the counts
  }

  void report(int err) {
    if (reported_ || !cfg_.report_errors) return;
    reported_ = true;
    std::fprintf(stderr,
                 "introspect: cannot write the introspection store %s: %s (records are "
                 "kept in memory up to %zu bytes and retried each period)\n",
                 cfg_.store.c_str(), std::strerror(err), cfg_.buffer_bytes);
  }

  void final_flush() noexcept {
    flush();
    std::lock_guard lock(mu_);
    if (!buf_.empty()) {
      std::size_t lines = 0;
      for (char ch : buf_) lines += ch == '\n';
      stats_.lost_write_error += lines;
      if (cfg_.report_errors)
        std::fprintf(stderr, "introspect: %zu records could not be written at exit\n", lines);
    }
  }

  config cfg_;
  std::string instance_;
  mutable std::mutex mu_;
  jsonl_encoder enc_;
  jsonl_file_writer file_;
  state_table table_;
  std::string buf_;
  std::int64_t last_flush_;
  engine_stats stats_{};
  std::uint64_t recorded_drops_ = 0, recorded_errors_ = 0;
  bool reported_ = false;
};

}  // namespace introspect::inline v1
