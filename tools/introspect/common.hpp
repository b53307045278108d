#pragma once
// What every command of the introspect CLI shares: the usage error, the filter options, store
// opening (tiny JSON lines, stream store, JetStream), damage reporting and the progress line.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <introspect/query/expr/filter.hpp>
#include <introspect/query/output/make_writer.hpp>
#include <introspect/query/read/store_set.hpp>

namespace ixcli {

namespace ix = introspect;
// The query module by folder (include/introspect/query/<folder>/ is query::<folder>).
namespace qread = introspect::query::read;
namespace qexpr = introspect::query::expr;
namespace qagg = introspect::query::agg;
namespace qout = introspect::query::output;

// A usage error: the message names the bad argument; main() prints it and exits 2.
struct usage_error {
  std::string message;
};

// The options that choose records: STOREs, kinds, names, streams, scopes, time, --where.
struct filter_args {
  std::vector<std::string> stores;
  std::vector<std::string> kinds;
  std::vector<std::string> names;
  std::string stream, scope;
  std::string since, until, where;
  bool table = false;
  std::string priority;    // -p: notifications and insights at or above this severity
  bool since_now = false;  // relative times from the wall clock, not the store's last record
  bool utc = false;        // zone-less times in UTC, and tables show UTC
};

// How results are printed: -o, --no-headers, --limit, -r, colour, pager, CSV formula cells.
struct output_args {
  std::string format = "table";
  bool no_headers = false;
  std::size_t limit = 0;  // 0: no limit
  bool reverse = false;
  bool no_pager = false;
  std::string color = "auto";
  bool csv_raw = false;
};

void add_store_option(CLI::App& c, std::vector<std::string>& stores);
void add_filter_options(CLI::App& c, filter_args& f, bool name_short = true);
void add_output_options(CLI::App& c, output_args& o, bool order = true);
qexpr::record_filter make_filter(const filter_args& a, std::int64_t now);
std::int64_t parse_time_option(const std::string& opt, const std::string& v, std::int64_t now);
qout::output_format make_format(const std::string& s, bool allow_table = true);

// The time that relative times count back from: the last record of the selected stores, or
// the wall clock with --since-now (or `now` when the stores hold nothing).
std::int64_t time_reference(const filter_args& a, std::int64_t now);

// The first and last record times of the stores (for "the store holds ... to ..." hints).
struct time_range {
  std::int64_t first = 0, last = 0;
  std::uint64_t records = 0;
};
time_range store_time_range(const filter_args& a);

// Says on stderr why nothing matched when a time range was given and the store's records lie
// elsewhere (a store copied from a customer, read with --since 15m).
void explain_empty_range(const filter_args& a, const qexpr::record_filter& f);

// Where output goes: stdout, or a pager on a terminal (closed by the destructor).
class output_sink {
 public:
  output_sink(const output_args& o, qout::output_format f, bool utc);
  ~output_sink();
  output_sink(const output_sink&) = delete;
  output_sink& operator=(const output_sink&) = delete;
  std::FILE* file() const noexcept { return out_; }
  const qout::output_style& style() const noexcept { return style_; }

 private:
  std::FILE* out_ = stdout;
  std::FILE* pager_ = nullptr;
  qout::output_style style_;
};

// Damage goes to stderr as it is found (path:line: reason or path@offset: reason).
qread::damage_log make_damage_log();

// Opens the STORE arguments: JSON-lines files and directories, stream stores (a root or one
// scope directory) and nats:// URLs, as one set.
qread::store_set open_stores(const std::vector<std::string>& args);

// The streams of the set that --stream and --scope select (exit 2 when they select nothing).
std::vector<qread::stream_in_set> select_streams(const qread::store_set& set, const filter_args& f);

// A progress line on stderr when it is a terminal, at most twice a second; nothing otherwise.
class progress {
 public:
  explicit progress(const char* what);
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;
  void tick(std::uint64_t n) {
    if (tty_ && !(n & 0xFFFF)) show(n);
  }

 private:
  void show(std::uint64_t n);
  const char* what_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// ---- the commands (one file each) ----------------------------------------------------------

struct query_args {
  std::string agg, by, every, field;
};

int cmd_query(const filter_args& fa, const query_args& qa, const output_args& oa);
int cmd_export(const filter_args& fa, const std::string& fmt, const std::string& out);
int cmd_verify(const std::vector<std::string>& stores);
int cmd_tail(const filter_args& fa, const output_args& oa, std::size_t n, bool follow,
             const std::string& timeout);
int cmd_sql(const filter_args& fa, const std::vector<std::string>& args, const std::string& fmt);
int cmd_truncate(const std::string& store, const std::string& stream, const std::string& before,
                 const std::string& scope, bool dry_run);
int cmd_insights(const filter_args& fa, const std::string& rules, const output_args& oa);
int cmd_streams(const filter_args& fa, const output_args& oa);

}  // namespace ixcli
