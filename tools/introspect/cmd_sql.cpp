// introspect sql: SQL over the store through the `introspect` virtual tables (sql/vtab.hpp,
// docs/sqlite.md): state, metric, notification, insight, record, snapshot, meta and one table
// per user struct, read in place: nothing is loaded into memory first. Without a statement, a
// shell reads statements and dot commands from stdin.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <introspect/core/clock.hpp>
#include <introspect/sql/attach.hpp>
#include <introspect/sql/shell.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

// The last argument is the statement unless it names a store (then the shell reads stdin).
bool is_store_arg(const std::string& a) {
  std::error_code ec;
  return a.rfind("nats://", 0) == 0 || std::filesystem::exists(a, ec);
}

introspect::sql::row_format parse_format(const std::string& fmt) {
  if (fmt == "table") return introspect::sql::row_format::table;
  if (fmt == "csv") return introspect::sql::row_format::csv;
  if (fmt == "jsonl" || fmt == "json") return introspect::sql::row_format::jsonl;
  throw usage_error{"--format \"" + fmt + "\": unknown format (use table, jsonl or csv)"};
}

}  // namespace

int cmd_sql(const filter_args& fa_in, const std::vector<std::string>& args,
            const std::string& fmt) {
  if (args.empty())
    throw usage_error{
        "sql: needs STORE... and optionally a statement, like: introspect sql D \"SELECT "
        "count(*) FROM notification\" (without one, a shell reads stdin)"};
  filter_args fa = fa_in;
  const bool shell = args.size() == 1 || is_store_arg(args.back());
  fa.stores.assign(args.begin(), shell ? args.end() : args.end() - 1);
  const auto rf = parse_format(fmt);

  // The tables read the stores in place; --since/--until/--stream/--scope become arguments of
  // every table, --kind chooses which kind tables exist.
  const auto f = make_filter(fa, ix::realtime_ns());
  std::vector<std::string> extra;
  if (f.since_ns != std::numeric_limits<std::int64_t>::min())
    extra.push_back("since=" + std::to_string(f.since_ns));
  if (f.until_ns != std::numeric_limits<std::int64_t>::max())
    extra.push_back("until=" + std::to_string(f.until_ns));
  if (!fa.stream.empty()) extra.push_back("stream=" + introspect::sql::detail::literal(fa.stream));
  if (!fa.scope.empty()) extra.push_back("scope=" + introspect::sql::detail::literal(fa.scope));

  auto ctx = std::make_unique<introspect::sql::module_context>();
  ctx->open = [](const std::vector<std::string>& paths) {
    try {
      return std::shared_ptr<const qread::store_set>(
          std::make_shared<qread::store_set>(open_stores(paths)));
    } catch (const usage_error& e) {
      throw introspect::sql::table_error(e.message);
    }
  };
  ctx->damage = make_damage_log();
  introspect::sql::database db;
  std::string error;
  auto* c = introspect::sql::install(db.get(), std::move(ctx), error);
  if (!c) throw usage_error{"sql: " + error};
  // The struct tables need a scan of the store's user-struct records: a statement gets them
  // only when it names a table that does not exist yet; the shell gets them at once (.tables).
  auto ddl_of = [&](introspect::sql::tables which) {
    try {
      return introspect::sql::create_tables_sql(*c, fa.stores, extra, "temp", which);
    } catch (const introspect::sql::table_error& e) {
      throw usage_error{e.what()};
    }
  };
  const bool want_structs =
      fa.kinds.empty() || std::find(fa.kinds.begin(), fa.kinds.end(), "record") != fa.kinds.end();
  std::string ddl =
      ddl_of(shell && want_structs ? introspect::sql::tables::all : introspect::sql::tables::kinds);
  if (!fa.kinds.empty()) {
    // Keep only the statements of the kind tables asked for (struct tables come with record).
    std::string kept;
    std::size_t start = 0;
    while (start < ddl.size()) {
      const auto end = ddl.find('\n', start);
      const auto line = ddl.substr(start, end - start);
      start = end + 1;
      bool keep = false;
      for (const auto& k : fa.kinds)
        keep |= line.find("temp." + k + " ") != std::string::npos ||
                (k == "record" && line.find("'struct:") != std::string::npos);
      if (keep) kept += line + "\n";
    }
    ddl = kept;
  }
  try {
    db.exec(ddl);
  } catch (const introspect::sql::sql_error& e) {
    throw usage_error{std::string("sql: ") + e.what()};
  }
  if (shell) return introspect::sql::run_shell(db, stdin, stdout, stderr, isatty(0) != 0, rf);
  const std::string& statement = args.back();
  try {
    introspect::sql::run_script(db, statement, rf, stdout, [&] {
      if (!want_structs) return false;
      const auto more = ddl_of(introspect::sql::tables::structs);
      db.exec(more);
      return !more.empty();
    });
  } catch (const introspect::sql::sql_error& e) {
    throw usage_error{"SQL \"" + statement + "\": " + e.what()};
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace ixcli
