// introspect: the command-line reader of introspection stores (design.md §5, docs/cli.md).
// This file only declares the commands and their options; each command is in cmd_<name>.cpp.
//
// Exit codes: 0 success; 1 damage found (verify), no record matched (query, insights) or a live
// writer holds the store (truncate); 2 usage error, with a message naming the bad argument.
// Errors go to stderr, data to stdout.
#include <cstdio>
#include <functional>

#include <CLI/CLI.hpp>

#include "common.hpp"

using namespace ixcli;

int main(int argc, char** argv) {
  CLI::App app{"introspect: read, check and query introspection stores", "introspect"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "introspect 0.1.0");
  // Each subcommand sets the action; it runs after parsing succeeded.
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

  filter_args sf;
  std::string streams_format = "table";
  auto* streams =
      app.add_subcommand("streams", "list the streams (files) with counts, bytes, time range");
  add_store_option(*streams, sf.stores);
  streams->add_option("--stream", sf.stream, "only streams whose name or scope matches this glob");
  streams->add_option("--scope", sf.scope, "only instances (scopes) matching this glob");
  streams->add_option("--format,-f", streams_format, "table (default), jsonl or csv");
  streams->callback([&] { action = [&] { return cmd_streams(sf, streams_format); }; });

  std::vector<std::string> verify_stores;
  auto* verify = app.add_subcommand("verify", "check every record; exit 1 if any is damaged");
  add_store_option(*verify, verify_stores);
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
  exp->add_option("--format,-f", export_format, "jsonl, csv, sqlite or prom")->required();
  exp->add_option("-o,--output", export_out, "the file to write ('-' for stdout)")->required();
  exp->callback([&] { action = [&] { return cmd_export(ef, export_format, export_out); }; });

  // sql STORE... "SELECT ...": the positionals are read as one list, the last is the statement.
  filter_args qlf;
  std::vector<std::string> sql_args;
  std::string sql_format = "table";
  auto* sql = app.add_subcommand("sql", "run SQL over the store's records (SQLite tables)");
  sql->add_option("STORE_AND_SQL", sql_args, "STORE... then the statement, e.g. \"SELECT ...\"")
      ->required();
  sql->add_option("--kind,-k", qlf.kinds, "only these kinds (default: all, meta included)")
      ->delimiter(',');
  sql->add_option("--stream", qlf.stream, "only streams whose name or scope matches this glob");
  sql->add_option("--scope", qlf.scope, "only instances (scopes) matching this glob");
  sql->add_option("--since", qlf.since, "from this time (RFC 3339, or relative)");
  sql->add_option("--until", qlf.until, "before this time (RFC 3339, or relative)");
  sql->add_option("--format,-f", sql_format, "table (default), jsonl or csv");
  sql->callback([&] { action = [&] { return cmd_sql(qlf, sql_args, sql_format); }; });

  std::string tr_store, tr_stream, tr_before, tr_scope;
  auto* truncate = app.add_subcommand("truncate", "hide a stream's records before a time");
  truncate->add_option("STORE", tr_store, "a stream store (its root or a scope directory)")
      ->required();
  truncate->add_option("--stream", tr_stream, "the stream to truncate")->required();
  truncate->add_option("--before", tr_before, "RFC 3339 time, or relative (2h, 7d)")->required();
  truncate->add_option("--scope", tr_scope, "the instance, when the store has several");
  truncate->callback(
      [&] { action = [&] { return cmd_truncate(tr_store, tr_stream, tr_before, tr_scope); }; });

  filter_args inf;
  std::string in_rules, in_format = "table";
  auto* insights = app.add_subcommand("insights", "run the insight rules over a store, offline");
  add_filter_options(*insights, inf);
  insights->add_option("--rules", in_rules, "a JSON rules file (default: the built-in rules)");
  insights->add_option("--format,-f", in_format, "table (default), jsonl or csv");
  insights->callback([&] { action = [&] { return cmd_insights(inf, in_rules, in_format); }; });

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
