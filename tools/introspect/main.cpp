// introspect: the command-line reader of introspection stores (design.md §5, docs/cli.md).
//
// Exit codes: 0 success; 1 damage found (verify) or no record matched (query); 2 usage error,
// with a message naming the bad argument. Errors go to stderr, data to stdout.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include <introspect/core/clock.hpp>
#include <introspect/query/aggregate.hpp>
#include <introspect/query/filter.hpp>
#include <introspect/query/line_reader.hpp>
#include <introspect/query/output.hpp>
#include <introspect/query/store_set.hpp>
#include <introspect/query/time_arg.hpp>

namespace ix = introspect;

namespace {

// A usage error: the message names the bad argument; main() prints it and exits 2.
struct usage_error {
  std::string message;
};

struct filter_args {
  std::vector<std::string> stores;
  std::vector<std::string> kinds;
  std::vector<std::string> names;
  std::string stream;
  std::string since, until, where;
  bool table = false;
};

struct query_args {
  std::string format = "table";
  std::string agg, by, every;
};

void add_filter_options(CLI::App& c, filter_args& f) {
  c.add_option("STORE", f.stores, "store directories or JSON-lines files")->required();
  c.add_option("--kind,-k", f.kinds,
               "record kinds to keep: state, metric, notification, insight, record, snapshot, "
               "meta (repeatable or comma-separated; default all but meta)")
      ->delimiter(',');
  c.add_option("--stream", f.stream, "only streams whose name or scope matches this glob");
  c.add_option("--name,-n", f.names, "only records whose name matches this glob (repeatable)");
  c.add_option("--since", f.since, "from this time (RFC 3339, or relative: 15m, 2h, 7d)");
  c.add_option("--until", f.until, "before this time (RFC 3339, or relative)");
  c.add_option("--where,-w", f.where,
               "condition on value and fields.*: comparisons, and/or/not, literals");
  c.add_flag("--table", f.table, "also show the periodic state-table lines");
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
  auto time = [&](const std::string& opt, const std::string& v) {
    auto t = ix::parse_time_arg(v, now);
    if (!t)
      throw usage_error{opt + " \"" + v +
                        "\": not a time (use RFC 3339 like 2026-01-01T00:00:00Z, or a relative "
                        "time like 15m, 2h, 7d)"};
    return *t;
  };
  if (!a.since.empty()) f.since_ns = time("--since", a.since);
  if (!a.until.empty()) f.until_ns = time("--until", a.until);
  if (!a.where.empty()) {
    try {
      f.where = ix::where_expr::parse(a.where, now);
    } catch (const ix::where_error& e) {
      throw usage_error{e.what()};
    }
  }
  return f;
}

ix::output_format make_format(const std::string& s, bool allow_table = true) {
  auto f = ix::parse_output_format(s);
  if (!f || (!allow_table && *f == ix::output_format::table))
    throw usage_error{"--format \"" + s + "\": unknown format (use " +
                      (allow_table ? "table, jsonl or csv)" : "jsonl or csv)")};
  return *f;
}

// Damage goes to stderr as it is found, as path:line: reason.
ix::damage_log make_damage_log() {
  return ix::damage_log{
      [](const ix::damage& d) { std::fprintf(stderr, "%s\n", d.to_string().c_str()); }};
}

// Opens the STORE arguments: the stream store's reader will be one more opener here.
ix::store_set open_stores(const std::vector<std::string>& args) {
  ix::store_set set;
  std::string error;
  const std::vector<ix::store_opener> openers;
  if (!set.open(args, openers, error)) throw usage_error{error};
  return set;
}

// A progress line on stderr when it is a terminal, at most twice a second; nothing otherwise.
class progress {
 public:
  explicit progress(const char* what) : what_(what), tty_(::isatty(2) == 1) {}
  ~progress() {
    if (tty_ && shown_) std::fprintf(stderr, "\r\033[K");
  }
  void tick(std::uint64_t n) {
    if (!tty_ || (n & 0xFFFF)) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\r\033[K%s: %llu records", what_, static_cast<unsigned long long>(n));
  }

 private:
  const char* what_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::vector<ix::stream_in_set> select_streams(const ix::store_set& set, const std::string& glob) {
  auto s = set.streams(glob);
  if (s.empty() && !glob.empty())
    throw usage_error{"--stream \"" + glob + "\": no stream or scope matches"};
  return s;
}

// ---- streams --------------------------------------------------------------------------------

int cmd_streams(const std::vector<std::string>& stores, const std::string& fmt) {
  const auto format = make_format(fmt);
  auto set = open_stores(stores);
  auto log = make_damage_log();
  ix::read_hint all;
  constexpr int nk = 7;
  struct row {
    std::string scope, name, path;
    std::uint64_t bytes = 0, records = 0, tables = 0, damaged = 0;
    std::uint64_t per_kind[nk + 1] = {};
    std::int64_t first = 0, last = 0;
  };
  std::vector<row> rows;
  for (const auto& s : set.streams()) {
    row r;
    r.scope = s.desc.scope;
    r.name = s.desc.name;
    r.path = s.desc.path;
    r.bytes = s.desc.bytes;
    const auto before = log.count();
    auto src = set.open({s}, all, log);
    ix::record rec;
    bool any = false;
    while (src->next(rec)) {
      ++r.records;
      if (rec.flags & ix::flag_table)
        ++r.tables;
      else
        ++r.per_kind[static_cast<unsigned>(rec.kind)];
      if (!any || rec.ts_ns < r.first) r.first = rec.ts_ns;
      if (!any || rec.ts_ns > r.last) r.last = rec.ts_ns;
      any = true;
    }
    r.damaged = log.count() - before;
    if (!any) r.first = r.last = 0;
    rows.push_back(std::move(r));
  }
  const char* kind_cols[] = {"state",  "metric",   "notification", "insight",
                             "record", "snapshot", "meta"};
  auto ts = [](const row& r, std::int64_t t) {
    return r.records ? ix::format_rfc3339(t) : std::string{};
  };
  if (format == ix::output_format::table) {
    std::vector<std::string> head{"SCOPE", "STREAM", "RECORDS"};
    std::vector<bool> right{false, false, true};
    for (auto* k : kind_cols) head.emplace_back(k), right.push_back(true);
    for (auto* k : {"table", "damaged", "bytes"}) head.emplace_back(k), right.push_back(true);
    head.emplace_back("FIRST");
    head.emplace_back("LAST");
    ix::detail::aligned_table t(stdout, head, right);
    for (const auto& r : rows) {
      std::vector<std::string> c{r.scope, r.name, std::to_string(r.records)};
      for (int k = 1; k <= nk; ++k) c.push_back(std::to_string(r.per_kind[k]));
      c.push_back(std::to_string(r.tables));
      c.push_back(std::to_string(r.damaged));
      c.push_back(std::to_string(r.bytes));
      c.push_back(ts(r, r.first));
      c.push_back(ts(r, r.last));
      t.row(std::move(c));
    }
    t.finish();
  } else if (format == ix::output_format::csv) {
    std::string s = "scope,stream,path,records";
    for (auto* k : kind_cols) s.append(",").append(k);
    s.append(",table,damaged,bytes,first,last\r\n");
    for (const auto& r : rows) {
      ix::append_csv_cell(s, r.scope);
      s.push_back(',');
      ix::append_csv_cell(s, r.name);
      s.push_back(',');
      ix::append_csv_cell(s, r.path);
      s.append(",").append(std::to_string(r.records));
      for (int k = 1; k <= nk; ++k) s.append(",").append(std::to_string(r.per_kind[k]));
      s.append(fmt::format(",{},{},{},{},{}\r\n", r.tables, r.damaged, r.bytes, ts(r, r.first),
                           ts(r, r.last)));
    }
    std::fwrite(s.data(), 1, s.size(), stdout);
  } else {
    std::string s;
    for (const auto& r : rows) {
      s.append("{\"scope\":");
      ix::append_json_string(s, r.scope);
      s.append(",\"stream\":");
      ix::append_json_string(s, r.name);
      s.append(",\"path\":");
      ix::append_json_string(s, r.path);
      s.append(fmt::format(",\"records\":{},\"kinds\":{{", r.records));
      for (int k = 1; k <= nk; ++k)
        s.append(fmt::format("{}\"{}\":{}", k > 1 ? "," : "", kind_cols[k - 1], r.per_kind[k]));
      s.append(
          fmt::format("}},\"table\":{},\"damaged\":{},\"bytes\":{}", r.tables, r.damaged, r.bytes));
      if (r.records)
        s.append(fmt::format(",\"first\":\"{}\",\"last\":\"{}\"", ts(r, r.first), ts(r, r.last)));
      s.append("}\n");
    }
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  return 0;
}

// ---- query / export -----------------------------------------------------------------------

std::optional<ix::agg_spec> make_agg(const query_args& q, const ix::record_filter& f) {
  if (q.agg.empty()) {
    if (!q.by.empty()) throw usage_error{"--by \"" + q.by + "\": needs --agg"};
    if (!q.every.empty()) throw usage_error{"--every \"" + q.every + "\": needs --agg"};
    return std::nullopt;
  }
  ix::agg_spec spec;
  auto fn = ix::parse_agg_fn(q.agg);
  if (!fn)
    throw usage_error{"--agg \"" + q.agg +
                      "\": unknown function (use count, sum, min, max, avg, p50, p90, p99, rate)"};
  spec.fn = *fn;
  if (!q.by.empty()) {
    auto by = ix::parse_field_ref(q.by);
    if (!by)
      throw usage_error{"--by \"" + q.by +
                        "\": unknown field (known: " + std::string(ix::known_fields) + ")"};
    spec.by = *by;
  }
  if (!q.every.empty()) {
    auto d = ix::parse_duration(q.every);
    if (!d) throw usage_error{"--every \"" + q.every + "\": not a duration (like 10s, 1m, 1h)"};
    spec.every_ns = *d;
  }
  spec.since_ns = f.since_ns;
  spec.until_ns = f.until_ns;
  return spec;
}

int cmd_query(const filter_args& fa, const query_args& qa) {
  const auto now = ix::realtime_ns();
  const auto filter = make_filter(fa, now);
  const auto format = make_format(qa.format);
  const auto agg_spec = make_agg(qa, filter);
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa.stream);
  auto log = make_damage_log();
  auto src = set.open(streams, filter.hint(), log);
  progress prog("query");
  std::uint64_t matched = 0, seen = 0;
  ix::record r;
  if (agg_spec) {
    ix::aggregator agg(*agg_spec);
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r)) continue;
      ++matched;
      agg.add(r);
    }
    ix::write_agg_rows(agg.rows(), *agg_spec, format, stdout);
  } else {
    auto w = ix::make_record_writer(format, stdout);
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r)) continue;
      ++matched;
      w->write(r);
    }
    w->finish();
  }
  std::fflush(stdout);
  return matched ? 0 : 1;
}

int cmd_export(const filter_args& fa, const std::string& fmt_name, const std::string& out) {
  if (fmt_name == "sqlite" || fmt_name == "prom")
    throw usage_error{"--format \"" + fmt_name +
                      "\": not available in this build yet (use jsonl or csv)"};
  const auto format = make_format(fmt_name, false);
  const auto filter = make_filter(fa, ix::realtime_ns());
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa.stream);
  std::FILE* f = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (!f) throw usage_error{"-o \"" + out + "\": cannot create: " + std::strerror(errno)};
  auto log = make_damage_log();
  auto src = set.open(streams, filter.hint(), log);
  progress prog("export");
  std::uint64_t seen = 0, written = 0;
  {
    auto w = ix::make_record_writer(format, f);
    ix::record r;
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r)) continue;
      w->write(r);
      ++written;
    }
    w->finish();
  }
  if (f != stdout) {
    if (std::fclose(f) != 0)
      throw usage_error{"-o \"" + out + "\": cannot write: " + std::strerror(errno)};
    std::fprintf(stderr, "introspect: exported %llu records to %s\n",
                 static_cast<unsigned long long>(written), out.c_str());
  }
  return 0;
}

// ---- verify --------------------------------------------------------------------------------

int cmd_verify(const std::vector<std::string>& stores) {
  auto set = open_stores(stores);
  auto log = make_damage_log();
  progress prog("verify");
  std::uint64_t records = 0, bytes = 0;
  const auto streams = set.streams();
  for (const auto& s : streams) {
    bytes += s.desc.bytes;
    auto src = set.open({s}, ix::read_hint{}, log);
    ix::record r;
    while (src->next(r)) prog.tick(++records);
  }
  std::printf("%zu streams, %llu records, %llu bytes, %llu damaged\n", streams.size(),
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(log.count()));
  return log.empty() ? 0 : 1;
}

// ---- tail ----------------------------------------------------------------------------------

volatile sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) { g_stop = 1; }

// Follows the JSON-lines files of the store: new lines of known files and new files in the
// directories given. Prints matching records as they appear (sorted within each poll).
class jsonl_follower {
 public:
  jsonl_follower(const ix::store_set& set, const ix::record_filter& f, std::string stream_glob,
                 ix::record_writer& w, ix::damage_log& log)
      : set_(set), filter_(f), glob_(std::move(stream_glob)), out_(w), log_(log) {}

  // Opens every file now present and reads it to its end, keeping the last `n` matches.
  std::vector<ix::record> start(std::size_t n) {
    std::vector<ix::record> last;
    scan();
    for (auto& [path, st] : files_) drain(path, st, &last, n);
    std::sort(last.begin(), last.end(),
              [](const ix::record& a, const ix::record& b) { return a.ts_ns < b.ts_ns; });
    return last;
  }

  // One poll: new files, new lines; prints what matches.
  void poll_once() {
    scan();
    std::vector<ix::record> fresh;
    for (auto& [path, st] : files_) drain(path, st, &fresh, SIZE_MAX);
    // Files the writer's retention removed are done: close them (their new lines were read).
    std::erase_if(files_, [](const auto& e) {
      std::error_code ec;
      return !std::filesystem::exists(e.first, ec);
    });
    std::stable_sort(fresh.begin(), fresh.end(),
                     [](const ix::record& a, const ix::record& b) { return a.ts_ns < b.ts_ns; });
    for (const auto& r : fresh) out_.write(r);
    out_.finish();
  }

 private:
  struct state {
    std::unique_ptr<ix::line_reader> reader;
    std::string instance;
  };

  void scan() {
    auto add = [&](const std::filesystem::path& p) {
      if (files_.count(p.string())) return;
      const auto name = p.filename().string();
      const auto instance = ix::parse_jsonl_file_name(name).instance;
      if (!glob_.empty() && !ix::glob_match(glob_, name) && !ix::glob_match(glob_, instance))
        return;
      state st;
      st.reader = std::make_unique<ix::line_reader>(p);
      st.instance = instance;
      files_.emplace(p.string(), std::move(st));
    };
    for (const auto& f : set_.jsonl_files()) add(f);
    for (const auto& d : set_.jsonl_dirs()) {
      std::error_code ec;
      for (auto it = std::filesystem::directory_iterator(d, ec);
           !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        if (it->path().extension() == ".jsonl") add(it->path());
    }
  }

  // Whole lines only: a line being written stays in the reader until its '\n' arrives.
  void drain(const std::string& path, state& st, std::vector<ix::record>* keep, std::size_t n) {
    ix::text_line line;
    ix::record r;
    while (st.reader->next(line)) {
      if (!parser_.parse(line.data, line.size, line.capacity, r, reason_)) {
        log_.report(path, line.number, line.offset, reason_);
        continue;
      }
      if (r.instance.empty()) r.instance = st.instance;
      if (!filter_.matches(r)) continue;
      if (keep->size() >= n) {
        // Keep the latest n: replace the earliest kept if this one is later.
        auto it = std::min_element(keep->begin(), keep->end(),
                                   [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
        if (it != keep->end() && it->ts_ns <= r.ts_ns) *it = std::move(r);
        continue;
      }
      keep->push_back(std::move(r));
    }
  }

  const ix::store_set& set_;
  const ix::record_filter& filter_;
  std::string glob_;  // --stream
  ix::record_writer& out_;
  ix::damage_log& log_;
  std::map<std::string, state> files_;
  ix::jsonl_record_parser parser_;
  std::string reason_;
};

int cmd_tail(const filter_args& fa, const std::string& fmt_name, std::size_t n, bool follow,
             const std::string& timeout) {
  const auto filter = make_filter(fa, ix::realtime_ns());
  const auto format = make_format(fmt_name);
  std::optional<std::int64_t> limit;
  if (!timeout.empty()) {
    limit = ix::parse_duration(timeout);
    if (!limit) throw usage_error{"--timeout \"" + timeout + "\": not a duration (like 5s, 1m)"};
  }
  auto set = open_stores(fa.stores);
  auto log = make_damage_log();
  // Tables for people are aligned over what they show; following prints as lines arrive.
  auto w = ix::make_record_writer(format, stdout);
  if (!follow) {
    const auto streams = select_streams(set, fa.stream);
    auto src = set.open(streams, filter.hint(), log);
    std::vector<ix::record> ring;
    std::size_t next = 0;
    ix::record r;
    while (src->next(r)) {
      if (!filter.matches(r) || n == 0) continue;
      if (ring.size() < n) {
        ring.push_back(r);
      } else {
        ring[next] = r;
        next = (next + 1) % n;
      }
    }
    for (std::size_t i = 0; i < ring.size(); ++i) w->write(ring[(next + i) % ring.size()]);
    w->finish();
    return 0;
  }
  for (const auto& s : set.stores())
    if (s->format() != "jsonl")
      throw usage_error{"--follow: only JSON-lines stores can be followed in this build"};
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  jsonl_follower fol(set, filter, fa.stream, *w, log);
  for (const auto& r : fol.start(n)) w->write(r);
  w->finish();
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  while (!g_stop) {
    if (limit && std::chrono::steady_clock::now() - t0 >= std::chrono::nanoseconds(*limit)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    fol.poll_once();
    std::fflush(stdout);
    if (std::ferror(stdout)) break;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"introspect: read, check and query introspection stores", "introspect"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "introspect 0.1.0");
  // Each subcommand fills one of these; the action runs after parsing succeeded.
  std::function<int()> action;

  filter_args qf;
  query_args qa;
  auto* query = app.add_subcommand("query", "print the records that match, or aggregates of them");
  add_filter_options(*query, qf);
  query->add_option("--format,-f", qa.format, "table (default), jsonl or csv");
  query->add_option("--agg", qa.agg, "count, sum, min, max, avg, p50, p90, p99 or rate");
  query->add_option("--by", qa.by, "group the aggregate by this field (name, fields.disk, ...)");
  query->add_option("--every", qa.every, "bucket the aggregate by this duration (1m, 1h, ...)");
  query->callback([&] { action = [&] { return cmd_query(qf, qa); }; });

  std::vector<std::string> streams_stores;
  std::string streams_format = "table";
  auto* streams =
      app.add_subcommand("streams", "list the streams (files) with counts, bytes, time range");
  streams->add_option("STORE", streams_stores, "store directories or JSON-lines files")->required();
  streams->add_option("--format,-f", streams_format, "table (default), jsonl or csv");
  streams->callback([&] { action = [&] { return cmd_streams(streams_stores, streams_format); }; });

  std::vector<std::string> verify_stores;
  auto* verify = app.add_subcommand("verify", "check every record; exit 1 if any is damaged");
  verify->add_option("STORE", verify_stores, "store directories or JSON-lines files")->required();
  verify->callback([&] { action = [&] { return cmd_verify(verify_stores); }; });

  filter_args tf;
  std::string tail_format = "table", tail_timeout;
  std::size_t tail_n = 10;
  bool tail_follow = false;
  auto* tail = app.add_subcommand("tail", "print the latest records; --follow for new ones");
  add_filter_options(*tail, tf);
  tail->add_option("--lines,-l", tail_n, "how many of the latest records to print (default 10)");
  tail->add_flag("--follow,-F", tail_follow, "keep printing records as they are written");
  tail->add_option("--timeout", tail_timeout, "with --follow: stop after this duration");
  tail->add_option("--format,-f", tail_format, "table (default), jsonl or csv");
  tail->callback([&] {
    action = [&] { return cmd_tail(tf, tail_format, tail_n, tail_follow, tail_timeout); };
  });

  filter_args ef;
  std::string export_format, export_out;
  auto* exp = app.add_subcommand("export", "write the matching records to a file");
  add_filter_options(*exp, ef);
  exp->add_option("--format,-f", export_format, "jsonl or csv")->required();
  exp->add_option("-o,--output", export_out, "the file to write ('-' for stdout)")->required();
  exp->callback([&] { action = [&] { return cmd_export(ef, export_format, export_out); }; });

  for (const char* name : {"sql", "truncate"}) {
    auto* c = app.add_subcommand(name, std::string(name) + " (not available in this build yet)");
    c->allow_extras();
    c->callback([&action, name] {
      action = [name]() -> int {
        throw usage_error{std::string(name) +
                          ": not available in this build yet (see docs/cli.md)"};
      };
    });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "introspect: %s\n", e.what());
    std::fprintf(stderr, "Run 'introspect --help' or 'introspect <command> --help'.\n");
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const usage_error& e) {
    std::fprintf(stderr, "introspect: %s\n", e.message.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "introspect: %s\n", e.what());
    return 2;
  }
}
