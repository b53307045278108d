// Shared pieces of the introspect CLI: options, store opening, damage, progress.
#include "common.hpp"

#include <unistd.h>

#include <introspect/query/stream_store.hpp>
#include <introspect/query/time_arg.hpp>

#include "remote.hpp"

namespace ixcli {

void add_store_option(CLI::App& c, std::vector<std::string>& stores) {
  c.add_option("STORE", stores,
               "store directories (tiny JSON lines or stream store), JSON-lines files, or "
               "nats://HOST:PORT")
      ->required();
}

void add_filter_options(CLI::App& c, filter_args& f) {
  add_store_option(c, f.stores);
  c.add_option("--kind,-k", f.kinds,
               "record kinds to keep: state, metric, notification, insight, record, snapshot, "
               "meta (repeatable or comma-separated; default all but meta)")
      ->delimiter(',');
  c.add_option("--stream", f.stream, "only streams whose name or scope matches this glob");
  c.add_option("--scope", f.scope, "only instances (scopes) whose name matches this glob");
  c.add_option("--name,-n", f.names, "only records whose name matches this glob (repeatable)");
  c.add_option("--since", f.since, "from this time (RFC 3339, or relative: 15m, 2h, 7d)");
  c.add_option("--until", f.until, "before this time (RFC 3339, or relative)");
  c.add_option("--where,-w", f.where,
               "condition on value and fields.*: comparisons, and/or/not, literals");
  c.add_flag("--table", f.table, "also show the periodic state-table lines");
}

std::int64_t parse_time_option(const std::string& opt, const std::string& v, std::int64_t now) {
  auto t = ix::parse_time_arg(v, now);
  if (!t)
    throw usage_error{opt + " \"" + v +
                      "\": not a time (use RFC 3339 like 2026-01-01T00:00:00Z, or a relative "
                      "time like 15m, 2h, 7d)"};
  return *t;
}

ix::record_filter make_filter(const filter_args& a, std::int64_t now) {
  ix::record_filter f;
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
  if (!a.since.empty()) f.since_ns = parse_time_option("--since", a.since, now);
  if (!a.until.empty()) f.until_ns = parse_time_option("--until", a.until, now);
  if (!a.where.empty()) {
    try {
      f.where = ix::where_expr::parse(a.where, now);
    } catch (const ix::where_error& e) {
      throw usage_error{e.what()};
    }
  }
  return f;
}

ix::output_format make_format(const std::string& s, bool allow_table) {
  auto f = ix::parse_output_format(s);
  if (!f || (!allow_table && *f == ix::output_format::table))
    throw usage_error{"--format \"" + s + "\": unknown format (use " +
                      (allow_table ? "table, jsonl or csv)" : "jsonl or csv)")};
  return *f;
}

ix::damage_log make_damage_log() {
  return ix::damage_log{
      [](const ix::damage& d) { std::fprintf(stderr, "%s\n", d.to_string().c_str()); }};
}

namespace {
bool is_nats_url(std::string_view s) noexcept {
  return s.starts_with("nats://") || s.starts_with("tls://");
}
}  // namespace

ix::store_set open_stores(const std::vector<std::string>& args) {
  ix::store_set set;
  std::vector<std::string> local;
  for (const auto& a : args) {
    if (!is_nats_url(a)) {
      local.push_back(a);
      continue;
    }
    set.add(open_nats_store(a));
  }
  if (local.empty()) return set;
  std::string error;
  const std::vector<ix::store_opener> openers{
      [](const std::filesystem::path& p) -> std::unique_ptr<ix::store_reader> {
        if (ix::is_stream_store(p) || ix::is_stream_store_scope(p))
          return std::make_unique<ix::stream_store_reader>(p);
        return nullptr;
      }};
  if (!set.open(local, openers, error)) throw usage_error{error};
  return set;
}

std::vector<ix::stream_in_set> select_streams(const ix::store_set& set, const filter_args& f) {
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
