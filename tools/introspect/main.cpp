// introspect: the command-line reader of introspection stores (design.md §5, docs/cli.md).
// This file only declares the commands and their options; each command is in cmd_<name>.cpp.
//
// Exit codes: 0 success; 1 damage found (verify), no record matched (query, insights) or a live
// writer holds the store (truncate); 2 usage error, with a message naming the bad argument.
// Errors go to stderr, data to stdout. Options and STOREs go in any order.
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common.hpp"
#include "support.hpp"

using namespace ixcli;

namespace ixcli {
int cmd_compact(const std::string& store, const std::string& codec, bool seal_active);
}

namespace {
// An error on stderr, each line made terminal-safe (messages quote arguments and file names).
void print_error(const std::string& msg) {
  std::string out;
  std::size_t start = 0;
  for (;;) {
    const auto nl = msg.find('\n', start);
    out += "introspect: ";
    ix::append_terminal_safe(out, std::string_view{msg}.substr(start, nl - start));
    out += '\n';
    if (nl == std::string::npos) break;
    start = nl + 1;
    if (start == msg.size()) break;
  }
  std::fputs(out.c_str(), stderr);
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"introspect: read, check and query introspection stores", "introspect"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "introspect 0.1.0");
  // Each subcommand sets the action; it runs after parsing succeeded.
  std::function<int()> action;

  filter_args qf;
  query_args qa;
  output_args qo;
  auto* query = app.add_subcommand("query", "print the records that match, or aggregates of them");
  add_filter_options(*query, qf);
  add_output_options(*query, qo);
  query->add_option("--agg", qa.agg,
                    "count, sum, min, max, avg, p50, p90, p99, rate or increase (counters and "
                    "histograms: per interval, from successive samples; docs/cli.md)");
  query->add_option("--field", qa.field,
                    "aggregate this field instead of the value (fields.p99, or just p99)");
  query->add_option("--by", qa.by, "group the aggregate by this field (name, fields.disk, ...)");
  query->add_option("--every", qa.every, "bucket the aggregate by this duration (1m, 1h, ...)");
  query->callback([&] { action = [&] { return cmd_query(qf, qa, qo); }; });

  filter_args sf;
  output_args so;
  auto* streams =
      app.add_subcommand("streams", "list the streams (files) with counts, bytes, time range");
  add_store_option(*streams, sf.stores);
  streams->add_option("--stream", sf.stream, "only streams whose name or scope matches this glob");
  streams->add_option("--scope", sf.scope, "only instances (scopes) matching this glob");
  add_output_options(*streams, so, false);
  streams->callback([&] { action = [&] { return cmd_streams(sf, so); }; });

  std::vector<std::string> verify_stores;
  auto* verify = app.add_subcommand("verify", "check every record; exit 1 if any is damaged");
  add_store_option(*verify, verify_stores);
  verify->callback([&] { action = [&] { return cmd_verify(verify_stores); }; });

  // tail follows journalctl: -n N lines, -f follow; names only by --name.
  filter_args tf;
  output_args to;
  std::string tail_timeout;
  std::size_t tail_n = 10;
  bool tail_follow = false;
  auto* tail = app.add_subcommand("tail", "print the latest records; -f for new ones");
  add_filter_options(*tail, tf, false);
  add_output_options(*tail, to, false);
  tail->add_option("--lines,-n,-l", tail_n, "how many of the latest records to print (default 10)");
  tail->add_flag("--follow,-f,-F", tail_follow, "keep printing records as they are written");
  tail->add_option("--timeout", tail_timeout, "with --follow: stop after this duration");
  tail->callback(
      [&] { action = [&] { return cmd_tail(tf, to, tail_n, tail_follow, tail_timeout); }; });

  filter_args ef;
  std::string export_format, export_out;
  auto* exp = app.add_subcommand("export", "write the matching records to a file");
  add_filter_options(*exp, ef);
  exp->add_option("--format,-f", export_format,
                  "jsonl, csv, sqlite, prom or openmetrics (default: from -o's extension)");
  exp->add_option("-o,--output", export_out, "the file to write (default and '-': stdout)");
  exp->callback([&] { action = [&] { return cmd_export(ef, export_format, export_out); }; });

  // sql STORE... "SELECT ...": the positionals are read as one list, the last is the statement.
  filter_args qlf;
  std::vector<std::string> sql_args;
  std::string sql_format = "table";
  auto* sql = app.add_subcommand(
      "sql",
      "run SQL over the store in place (SQLite virtual tables; a shell without a statement)");
  sql->add_option("STORE_AND_SQL", sql_args,
                  "STORE... then optionally a statement (several ';'-separated); without one a "
                  "shell reads stdin")
      ->required();
  sql->add_option("--kind,-k", qlf.kinds, "only these kinds (default: all, meta included)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sql->add_option("--stream", qlf.stream, "only streams whose name or scope matches this glob");
  sql->add_option("--scope", qlf.scope, "only instances (scopes) matching this glob");
  sql->add_option("--since", qlf.since, "from this time (RFC 3339, or relative)");
  sql->add_option("--until", qlf.until, "before this time (RFC 3339, or relative)");
  sql->add_option("--format,-f,-o", sql_format, "table (default), jsonl or csv");
  sql->callback([&] { action = [&] { return cmd_sql(qlf, sql_args, sql_format); }; });

  std::string tr_store, tr_stream, tr_before, tr_scope;
  bool tr_dry_run = false;
  auto* truncate = app.add_subcommand("truncate", "hide a stream's records before a time");
  truncate->add_option("STORE", tr_store, "a stream store (its root or a scope directory)")
      ->required();
  truncate->add_option("--stream", tr_stream, "the stream to truncate")->required();
  truncate->add_option("--before", tr_before, "RFC 3339 time, or relative (2h, 7d)")->required();
  truncate->add_option("--scope", tr_scope, "the instance, when the store has several");
  truncate->add_flag("--dry-run", tr_dry_run, "say what would be hidden, change nothing");
  truncate->callback([&] {
    action = [&] { return cmd_truncate(tr_store, tr_stream, tr_before, tr_scope, tr_dry_run); };
  });

  std::string cp_store, cp_codec = "auto";
  bool cp_seal = false;
  auto* compact = app.add_subcommand(
      "compact", "compress the sealed raw segments of a stream store (a live writer's: refused)");
  compact->add_option("STORE", cp_store, "a stream store (its root or a scope directory)")
      ->required();
  compact->add_option("--codec", cp_codec,
                      "auto (zstd when built with it), columns (no library) or zstd");
  compact->add_flag("--seal-active", cp_seal,
                    "also seal each stream's active segment first (a store never written again)");
  compact->footer(
      "Each segment is rewritten crash-safely (a temporary file renamed over it); damaged ones "
      "are left as they are, for verify. Exit 1: a live writer holds a scope (its own compactor "
      "works on it), or a segment could not be rewritten (named, with the cause).");
  compact->callback([&] { action = [&] { return cmd_compact(cp_store, cp_codec, cp_seal); }; });

  filter_args inf;
  output_args ino;
  std::string in_rules;
  auto* insights = app.add_subcommand(
      "insights", "run the insight rules over a store, offline: one line per episode");
  add_filter_options(*insights, inf);
  add_output_options(*insights, ino, false);
  insights->add_option("--rules", in_rules, "a JSON rules file (default: the built-in rules)");
  insights->callback([&] { action = [&] { return cmd_insights(inf, in_rules, ino); }; });

  bundle_args ba;
  auto* bundle = app.add_subcommand(
      "bundle", "write one file holding the stores, redacted, with a manifest and verify");
  bundle->add_option("STORE", ba.stores, "stream-store directories (a root or one instance)")
      ->required();
  bundle->add_option("-o,--output", ba.output,
                     "the bundle to write (FILE.tar.zst: zstd-compressed; FILE.tar: plain tar)");
  bundle->add_option("--since,-S", ba.since,
                     "only records from this time (the --since forms of query; cut at frame "
                     "boundaries)");
  bundle->add_option("--until,-U", ba.until, "only records before this time");
  bundle->add_flag("--since-now", ba.since_now, "relative times count back from now");
  bundle->add_flag("--utc", ba.utc, "times without a zone are UTC");
  bundle->add_option("--compress", ba.compress, "auto (from the name), zstd or none")
      ->check(CLI::IsMember({"auto", "zstd", "none"}));
  bundle->add_option("--level", ba.level, "zstd level, 1 (fastest) to 19 (default 3)");
  bundle
      ->add_option("--redact-key", ba.redact_keys,
                   "globs of snapshot keys (etcd keys) whose values are redacted; replaces the "
                   "default list (repeatable or comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  bundle->add_flag("--no-redact", ba.no_redact,
                   "copy snapshot values as they are (only for a store that holds no secrets)");
  bundle->callback([&] { action = [&] { return cmd_bundle(ba); }; });

  filter_args suf;
  output_args suo;
  auto* summary = app.add_subcommand(
      "summary", "the first screen of a support case: instances, insights, silence, damage");
  add_filter_options(*summary, suf);
  suo.format = "text";
  summary->add_option("--output,-o,--format", suo.format, "text (default) or json");
  summary->add_option("--color", suo.color, "auto (default: on a terminal), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  summary->callback([&] { action = [&] { return cmd_summary(suf, suo); }; });

  filter_args ref;
  std::string report_out;
  std::size_t report_top = 8;
  auto* report = app.add_subcommand(
      "report", "write one self-contained HTML page: summary, timeline, plots with evidence");
  add_filter_options(*report, ref);
  report->add_option("-o,--output", report_out, "the HTML file to write")->required();
  report->add_option("--top", report_top, "how many of the most changing metrics to plot (8)");
  report->callback([&] { action = [&] { return cmd_report(ref, report_out, report_top); }; });

  // An unknown command: say so and list the commands (CLI11 would call it an extra argument).
  if (argc > 1 && argv[1][0] != '-') {
    const std::string_view cmd = argv[1];
    bool known = false;
    for (const auto* s : app.get_subcommands({})) known = known || s->get_name() == cmd;
    if (!known) {
      std::string msg = "introspect: unknown command \"";
      ix::append_terminal_safe(msg, cmd);
      msg += "\"\nCommands:\n";
      for (const auto* s : app.get_subcommands({}))
        msg += "  " + s->get_name() +
               std::string(10 - std::min<std::size_t>(9, s->get_name().size()), ' ') +
               s->get_description() + "\n";
      msg += "Run 'introspect <command> --help' for a command's options.\n";
      std::fputs(msg.c_str(), stderr);
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    print_error(e.what());
    std::fprintf(stderr, "Run 'introspect --help' or 'introspect <command> --help'.\n");
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const usage_error& e) {
    print_error(e.message);
    return 2;
  } catch (const std::exception& e) {
    print_error(e.what());
    return 2;
  }
}
