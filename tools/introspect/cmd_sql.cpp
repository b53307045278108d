// introspect sql: SQL over the store's records, loaded into an in-memory SQLite database
// (tables state, metric, notification, insight, snapshot, meta, record, one per user struct).
#include <introspect/core/clock.hpp>
#include <introspect/sql/run.hpp>

#include "common.hpp"
#include "sql_load.hpp"

namespace ixcli {

int cmd_sql(const filter_args& fa_in, const std::vector<std::string>& args,
            const std::string& fmt) {
  // The last positional argument is the statement; the ones before it are STOREs.
  if (args.size() < 2)
    throw usage_error{
        "sql: needs STORE... and a statement, like: introspect sql D \"SELECT "
        "count(*) FROM notification\""};
  filter_args fa = fa_in;
  fa.stores.assign(args.begin(), args.end() - 1);
  const std::string& statement = args.back();
  introspect::sql::row_format rf;
  if (fmt == "table")
    rf = introspect::sql::row_format::table;
  else if (fmt == "csv")
    rf = introspect::sql::row_format::csv;
  else if (fmt == "jsonl" || fmt == "json")
    rf = introspect::sql::row_format::jsonl;
  else
    throw usage_error{"--format \"" + fmt + "\": unknown format (use table, jsonl or csv)"};
  const auto f = sql_filter(fa, ix::realtime_ns());
  introspect::sql::database db;
  load_into(db, fa, f, "sql");
  // Bad SQL is only known once the tables exist (one per user struct): after the load.
  try {
    introspect::sql::run_query(db, statement, rf, stdout);
  } catch (const introspect::sql::sql_error& e) {
    throw usage_error{"SQL \"" + statement + "\": " + e.what()};
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace ixcli
