#pragma once
// The forwarder's purge step on its worker thread: the explicit purge requests
// (forwarder::purge_before, purge_before_time) first, then, at most every scan interval, each
// ready stream's new store truncation point as a purge (jetstream/purger.hpp purges).
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/stream_pump.hpp>
#include <introspect/jetstream/detail/stream_table.hpp>
#include <introspect/jetstream/error_reporter.hpp>
#include <introspect/jetstream/purger.hpp>
#include <introspect/store/files.hpp>

namespace introspect::inline v1::jetstream::detail {

//! What the purge step works with: the forwarder's parts.
struct purge_parts {
  const connection& conn;
  stream_table& table;
  stream_pump& pump;
  purger& requests;
  error_reporter& errors;
  const std::string& scope;
  std::filesystem::path scope_dir;
  std::chrono::milliseconds scan_interval;
};

//! Explicit purges, then truncation points (see the file comment).
class purge_pass {
 public:
  using clock = std::chrono::steady_clock;

  explicit purge_pass(purge_parts p) : p_(std::move(p)) {}

  //! Runs what is due; false when a purge failed (said and counted: the worker backs off).
  bool run() {
    while (auto r = p_.requests.next()) {
      forwarded_stream* s = p_.table.find(r->stream);
      if (!s) {
        p_.errors.fail(error_cause::stream,
                       "purge: no stream \"" + r->stream + "\" in scope " + p_.scope);
        r->done.set_value(false);
        continue;
      }
      const bool ok = p_.pump.ensure(*s) && purge(*s, r->cut);
      r->done.set_value(ok);
      if (!ok) return false;
    }
    if (clock::now() < next_check_) return true;
    next_check_ = clock::now() + p_.scan_interval;
    for (std::size_t i = 0; forwarded_stream* s = p_.table.at(i); ++i) {
      if (!p_.table.ready(*s)) continue;
      const auto t = store::stream_truncation(p_.scope_dir / s->target.name);
      auto& a = s->applied_trunc;
      if (t.offset <= a.offset && t.ts_ns <= a.ts_ns) continue;
      if (!purge(*s, {t.offset, t.ts_ns})) return false;
      a = {t.offset, t.ts_ns};
    }
    return true;
  }

 private:
  bool purge(forwarded_stream& s, purge_cut cut) {
    if (auto e = p_.requests.purge(p_.conn.js(), s.target, cut)) {
      p_.errors.fail(*e);
      return false;
    }
    p_.table.purged(s, cut);
    return true;
  }

  purge_parts p_;
  clock::time_point next_check_{};
};

}  // namespace introspect::inline v1::jetstream::detail
