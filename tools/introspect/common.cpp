// Shared pieces of the introspect CLI: options, store opening, times, output, damage, progress.
#include "common.hpp"
#include "support.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>

#include <introspect/query/read/stream_store.hpp>
#include <introspect/query/read/unordered_scan.hpp>
#include <introspect/query/time_arg.hpp>

#include "remote.hpp"

namespace ixcli {

void add_store_option(CLI::App& c, std::vector<std::string>& stores) {
  c.add_option("STORE", stores,
               "store directories (tiny JSON lines or stream store), JSON-lines files, or "
               "nats://HOST:PORT")
      ->required();
}

void add_filter_options(CLI::App& c, filter_args& f, bool name_short) {
  add_store_option(c, f.stores);
  // allow_extra_args(false): a list option takes one argument per use (a comma list or the
  // option repeated), so that `-k notification STORE` leaves STORE a positional.
  c.add_option("--kind,-k", f.kinds,
               "record kinds to keep: state, metric, notification, insight, record, snapshot, "
               "meta (repeatable or comma-separated; default all but meta)")
      ->delimiter(',')
      ->allow_extra_args(false);
  c.add_option("--stream", f.stream, "only streams whose name or scope matches this glob");
  c.add_option("--scope", f.scope, "only instances (scopes) whose name matches this glob");
  c.add_option(name_short ? "--name,-n" : "--name", f.names,
               "only records whose name matches this glob (repeatable or comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  c.add_option("--since,-S", f.since,
               "from this time: RFC 3339, local '2026-01-01 10:00', @EPOCH, today, yesterday, "
               "or relative (15m, -2h, 7d) to the store's last record");
  c.add_option("--until,-U", f.until, "before this time (the same forms as --since)");
  c.add_flag("--since-now", f.since_now,
             "relative times count back from now (live use), not from the store's last record");
  c.add_flag("--utc", f.utc, "times without a zone are UTC, and tables show UTC");
  c.add_option("--priority,-p", f.priority,
               "only notifications and insights at or above this severity (debug, info, notice, "
               "warning/warn, error/err, critical/crit)");
  c.add_option("--where,-w", f.where,
               "condition on value and fields.*: comparisons, and/or/not, literals");
  c.add_flag("--table", f.table, "also show the periodic state-table lines");
}

void add_output_options(CLI::App& c, output_args& o, bool order) {
  c.add_option("--output,-o,--format", o.format,
               "table (default), wide, json (one object per line, also jsonl) or csv");
  c.add_flag("--no-headers", o.no_headers, "no header line in table and csv output");
  if (order) {
    c.add_option("--limit", o.limit, "print at most N records (with -r: the N latest)");
    c.add_flag("--reverse,-r", o.reverse, "newest first");
  }
  c.add_flag("--no-pager", o.no_pager, "never page (a pager is used only on a terminal)");
  c.add_option("--color", o.color, "auto (default: on a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  c.add_flag("--csv-raw", o.csv_raw,
             "csv: keep text cells starting with = + - @ as they are (default: prefixed with ' "
             "so that a spreadsheet does not run them as formulas)");
}

namespace {

std::optional<ix::severity> parse_priority(const std::string& p) {
  static const std::map<std::string, ix::severity> aliases{{"emerg", ix::severity::critical},
                                                           {"alert", ix::severity::critical},
                                                           {"crit", ix::severity::critical},
                                                           {"err", ix::severity::error},
                                                           {"warn", ix::severity::warning}};
  if (auto it = aliases.find(p); it != aliases.end()) return it->second;
  return ix::parse_severity(p);
}

// A time argument depends on the reference when two references give two answers.
bool is_relative(const std::string& v, bool utc) {
  constexpr std::int64_t a = 1'700'000'000'000'000'000, b = a + 864'000'000'000'000;
  return ix::query::parse_time_arg(v, ix::query::time_context{a, utc}) !=
         ix::query::parse_time_arg(v, ix::query::time_context{b, utc});
}

// The first and last record times of the stores (scanned once per process).
const time_range& scanned_range(const filter_args& a) {
  static std::map<std::vector<std::string>, time_range> cache;
  const auto key = a.stores;
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  time_range r;
  auto set = open_stores(a.stores);
  qread::damage_log quiet;  // the query itself reports damage; this scan only wants times
  r.first = std::numeric_limits<std::int64_t>::max();
  r.last = std::numeric_limits<std::int64_t>::min();
  qread::for_each_unordered(set, set.streams(), qread::read_hint{}, quiet, [&](const auto& rec) {
    ++r.records;
    r.first = std::min(r.first, rec.ts_ns);
    r.last = std::max(r.last, rec.ts_ns);
  });
  return cache.emplace(key, r).first->second;
}

}  // namespace

time_range store_time_range(const filter_args& a) { return scanned_range(a); }

std::int64_t time_reference(const filter_args& a, std::int64_t now) {
  if (a.since_now) return now;
  const auto& r = scanned_range(a);
  return r.records ? r.last : now;
}

std::int64_t parse_time_option(const std::string& opt, const std::string& v, std::int64_t now) {
  auto t = ix::query::parse_time_arg(v, ix::query::time_context{now, false});
  if (!t)
    throw usage_error{opt + " \"" + v +
                      "\": not a time (use RFC 3339 like 2026-01-01T00:00:00Z, a local time like "
                      "'2026-01-01 10:00', @EPOCH, today, yesterday, or a relative time like "
                      "15m, 2h, 7d)"};
  return *t;
}

qexpr::record_filter make_filter(const filter_args& a, std::int64_t now) {
  qexpr::record_filter f;
  std::vector<ix::record_kind> ks;
  for (const auto& k : a.kinds) {
    auto pk = ix::parse_record_kind(k);
    if (!pk)
      throw usage_error{"--kind \"" + k +
                        "\": unknown kind (known: state, metric, notification, insight, record, "
                        "snapshot, meta)"};
    ks.push_back(*pk);
  }
  f.only_kinds(ks);
  f.tables = a.table;
  f.names = a.names;
  if (!a.priority.empty()) {
    f.min_severity = parse_priority(a.priority);
    if (!f.min_severity)
      throw usage_error{"-p \"" + a.priority +
                        "\": unknown severity (debug, info, notice, warning, error, critical)"};
  }
  // The reference is the store's last record: found only when a time needs it (a scan).
  std::optional<std::int64_t> ref;
  auto reference = [&] {
    if (!ref) ref = time_reference(a, now);
    return *ref;
  };
  auto parse = [&](const char* opt, const std::string& v) {
    auto t = ix::query::parse_time_arg(v, ix::query::time_context{0, a.utc});
    if (!t || is_relative(v, a.utc)) {
      // Syntax first, so that a typo is a usage error without reading the store.
      if (!ix::query::parse_time_arg(v, ix::query::time_context{0, a.utc}))
        parse_time_option(opt, v, 0);
      t = ix::query::parse_time_arg(v, ix::query::time_context{reference(), a.utc});
    }
    return *t;
  };
  if (!a.since.empty()) f.since_ns = parse("--since", a.since);
  if (!a.until.empty()) f.until_ns = parse("--until", a.until);
  if (!a.where.empty()) {
    try {
      // Relative ts literals in --where count back from the same reference.
      const bool uses_ts = a.where.find("ts") != std::string::npos;
      f.where = qexpr::where_expr::parse(a.where, uses_ts ? reference() : now);
    } catch (const qexpr::where_error& e) {
      throw usage_error{e.what()};
    }
  }
  return f;
}

void explain_empty_range(const filter_args& a, const qexpr::record_filter& f) {
  if (a.since.empty() && a.until.empty()) return;
  const auto& r = scanned_range(a);
  if (!r.records) {
    std::fprintf(stderr, "introspect: the store holds no records\n");
    return;
  }
  if (f.since_ns <= r.last && f.until_ns > r.first) return;  // the range overlaps the data
  auto t = [](std::int64_t ns) { return ix::format_rfc3339(ns); };
  const std::string lo =
      f.since_ns == std::numeric_limits<std::int64_t>::min() ? "the start" : t(f.since_ns);
  const std::string hi =
      f.until_ns == std::numeric_limits<std::int64_t>::max() ? "the end" : t(f.until_ns);
  std::fprintf(stderr,
               "introspect: no records from %s to %s: the store's records run from %s to %s%s\n",
               lo.c_str(), hi.c_str(), t(r.first).c_str(), t(r.last).c_str(),
               a.since_now ? " (--since-now counts back from now)" : "");
}

qout::output_format make_format(const std::string& s, bool allow_table) {
  auto f = qout::parse_output_format(s);
  if (!f || (!allow_table && (*f == qout::output_format::table || *f == qout::output_format::wide)))
    throw usage_error{"-o/--format \"" + s + "\": unknown format (use " +
                      (allow_table ? "table, wide, json, jsonl or csv)" : "json, jsonl or csv)")};
  return *f;
}

output_sink::output_sink(const output_args& o, qout::output_format f, bool utc) {
  const bool tty = ::isatty(1) == 1;
  const bool table = f == qout::output_format::table || f == qout::output_format::wide;
  style_.table.headers = !o.no_headers;
  style_.csv_raw = o.csv_raw;
  style_.utc = utc;
  const char* term = std::getenv("TERM");
  style_.table.color =
      o.color == "always" || (o.color == "auto" && tty && table && !std::getenv("NO_COLOR") &&
                              !(term && std::string_view{term} == "dumb"));
  if (!tty || !table) return;  // files and pipes: complete, plain, RFC 3339
  style_.local_time = true;
  winsize ws{};
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) style_.table.width = ws.ws_col;
  if (o.no_pager) return;
  const char* pager = std::getenv("PAGER");
  std::string cmd = pager ? pager : "less";
  if (cmd.empty() || cmd == "cat") return;
  // less: quit if one screen (-F), colours (-R), keep the screen (-X); cut lines (-S).
  ::setenv("LESS", "FRSX", 0);
  if (!pager && ::access("/usr/bin/less", X_OK) != 0 && ::access("/bin/less", X_OK) != 0) return;
  std::fflush(stdout);
  if ((pager_ = ::popen(cmd.c_str(), "w"))) {
    out_ = pager_;
    style_.table.width = 0;  // less -S cuts and scrolls sideways
  }
}

output_sink::~output_sink() {
  if (pager_) {
    std::fflush(pager_);
    ::pclose(pager_);
  }
}

namespace {
std::vector<std::pair<std::string, std::string>>& path_aliases() {
  static std::vector<std::pair<std::string, std::string>> v;
  return v;
}
std::vector<std::string>& all_bundle_problems() {
  static std::vector<std::string> v;
  return v;
}
// Problems not yet handed to a damage log (printed at exit if no log ever takes them).
std::vector<qread::damage>& pending_problems() {
  static std::vector<qread::damage> v;
  return v;
}
void print_pending() {
  for (const auto& d : pending_problems()) {
    std::string s;
    ix::append_terminal_safe(s, d.to_string());
    std::fprintf(stderr, "%s\n", s.c_str());
  }
  pending_problems().clear();
}
}  // namespace

void add_path_alias(const std::string& from, const std::string& to) {
  path_aliases().emplace_back(from, to);
}

std::string display_path(std::string s) {
  for (const auto& [from, to] : path_aliases())
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
  return s;
}

void note_bundle_problem(const std::string& bundle, const std::string& what) {
  if (pending_problems().empty() && all_bundle_problems().empty()) std::atexit(print_pending);
  all_bundle_problems().push_back(bundle + ": " + what);
  pending_problems().push_back(qread::damage{bundle, 0, 0, what});
}

const std::vector<std::string>& bundle_problems() { return all_bundle_problems(); }

void report_bundle_problems(qread::damage_log& log) {
  for (auto& d : pending_problems()) log.report(std::move(d));
  pending_problems().clear();
}

qread::damage_log make_damage_log() {
  qread::damage_log log{[](const qread::damage& d) {
    std::string s;  // file names and reasons may hold escape sequences
    ix::append_terminal_safe(s, display_path(d.to_string()));
    std::fprintf(stderr, "%s\n", s.c_str());
  }};
  for (auto& d : pending_problems()) log.report(std::move(d));
  pending_problems().clear();
  return log;
}

namespace {
bool is_nats_url(std::string_view s) noexcept {
  return s.starts_with("nats://") || s.starts_with("tls://");
}
}  // namespace

qread::store_set open_stores(const std::vector<std::string>& args) {
  qread::store_set set;
  std::vector<std::string> local;
  for (const auto& a : args) {
    if (!is_nats_url(a) && is_bundle_file(a)) {
      for (auto& s : open_bundle(a)) local.push_back(std::move(s));
      continue;
    }
    if (!is_nats_url(a)) {
      local.push_back(a);
      continue;
    }
    set.add(open_nats_store(a));
  }
  if (local.empty()) return set;
  std::string error;
  const std::vector<qread::store_opener> openers{
      [](const std::filesystem::path& p) -> std::unique_ptr<qread::store_reader> {
        if (qread::is_stream_store(p) || qread::is_stream_store_scope(p))
          return std::make_unique<qread::stream_store_reader>(p);
        return nullptr;
      }};
  if (!set.open(local, openers, error)) throw usage_error{error};
  return set;
}

std::vector<qread::stream_in_set> select_streams(const qread::store_set& set,
                                                 const filter_args& f) {
  auto s = set.streams(f.stream, f.scope);
  if (s.empty() && !f.stream.empty())
    throw usage_error{"--stream \"" + f.stream + "\": no stream or scope matches"};
  if (s.empty() && !f.scope.empty())
    throw usage_error{"--scope \"" + f.scope + "\": no scope matches"};
  return s;
}

progress::progress(const char* what) : what_(what), tty_(::isatty(2) == 1) {}

progress::~progress() {
  if (tty_ && shown_) std::fprintf(stderr, "\r\033[K");
}

void progress::show(std::uint64_t n) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(500)) return;
  last_ = now;
  shown_ = true;
  std::fprintf(stderr, "\r\033[K%s: %llu records", what_, static_cast<unsigned long long>(n));
}

}  // namespace ixcli
