#pragma once
// tail --follow: followers print what a live writer appends, polled every 200 ms.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <introspect/core/line_reader.hpp>
#include <introspect/query/read/jsonl_parse.hpp>
#include <introspect/query/read/stream_store.hpp>

#include "common.hpp"

namespace ixcli {

// Follows some of a set's stores. start() reads what is there now; poll() what came since.
class follower {
 public:
  virtual ~follower() = default;
  // Reads every stream to its end; appends matching records to `out` (the caller keeps the
  // latest n of all followers).
  virtual void start(std::vector<ix::record>& out) = 0;
  // New streams and new records since the last call; appends matching records to `out`.
  virtual void poll(std::vector<ix::record>& out) = 0;
};

// The JSON-lines files of the set: new lines of known files and new files in the directories.
class jsonl_follower final : public follower {
 public:
  jsonl_follower(const qread::store_set& set, const qexpr::record_filter& f, const filter_args& fa,
                 qread::damage_log& log)
      : set_(set), filter_(f), glob_(fa.stream), scope_glob_(fa.scope), log_(log) {}
  void start(std::vector<ix::record>& out) override { poll(out); }
  void poll(std::vector<ix::record>& out) override;

 private:
  struct state {
    std::unique_ptr<ix::line_reader> reader;
    std::string instance;
  };
  void scan();
  void drain(const std::string& path, state& st, std::vector<ix::record>& out);

  const qread::store_set& set_;
  const qexpr::record_filter& filter_;
  std::string glob_, scope_glob_;
  qread::damage_log& log_;
  std::map<std::string, state> files_;
  qread::jsonl_record_parser parser_;
  std::string reason_;
};

// The streams of one stream store: each cursor is asked again at every poll (a cursor returns
// false at the live end and more records later); streams created meanwhile are opened too.
class stream_follower final : public follower {
 public:
  stream_follower(const qread::stream_store_reader& s, const qexpr::record_filter& f,
                  const filter_args& fa, qread::damage_log& log)
      : store_(s), filter_(f), glob_(fa.stream), scope_glob_(fa.scope), log_(log) {}
  void start(std::vector<ix::record>& out) override { poll(out); }
  void poll(std::vector<ix::record>& out) override;

 private:
  const qread::stream_store_reader& store_;
  const qexpr::record_filter& filter_;
  std::string glob_, scope_glob_;
  qread::damage_log& log_;
  std::map<std::string, std::unique_ptr<qread::stream_store_cursor>> cursors_;  // by path
};

}  // namespace ixcli
