// libintrospect_sqlite: the `introspect` virtual tables as an SQLite loadable extension
// (docs/sqlite.md). Every SQLite call goes through the API table the host hands over, so the
// extension works in whichever SQLite loads it (the sqlite3 shell, Python, any binding).
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <string>

#include <introspect/sql/attach.hpp>

namespace {

namespace sql = introspect::sql;

// introspect_attach(STORE [, SCHEMA]): creates SCHEMA.state, .metric, ... and one table per
// user struct over STORE (SCHEMA defaults to temp); returns how many tables it created.
void attach_function(sqlite3_context* f, int argc, sqlite3_value** argv) {
  auto* ctx = static_cast<sql::module_context*>(sqlite3_user_data(f));
  const auto* path = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto* schema =
      argc > 1 ? reinterpret_cast<const char*>(sqlite3_value_text(argv[1])) : nullptr;
  if (!path || !*path)
    return sqlite3_result_error(f, "introspect_attach(STORE): STORE is empty", -1);
  try {
    const std::string ddl =
        sql::create_tables_sql(*ctx, {path}, {}, schema && *schema ? schema : "temp");
    char* err = nullptr;
    if (sqlite3_exec(sqlite3_context_db_handle(f), ddl.c_str(), nullptr, nullptr, &err) !=
        SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return sqlite3_result_error(f, msg.c_str(), -1);
    }
    int n = 0;
    for (char c : ddl) n += c == '\n';
    sqlite3_result_int(f, n);
  } catch (const std::exception& e) {
    sqlite3_result_error(f, e.what(), -1);
  }
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_introspect_init(
    sqlite3* db, char** err, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  std::string error;
  auto* ctx = sql::install(db, std::make_unique<sql::module_context>(), error);
  if (ctx && sqlite3_create_function_v2(db, "introspect_attach", -1, SQLITE_UTF8, ctx,
                                        attach_function, nullptr, nullptr, nullptr) != SQLITE_OK)
    error = sqlite3_errmsg(db), ctx = nullptr;
  if (!ctx) {
    *err = sqlite3_mprintf("introspect: %s", error.c_str());
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

// The entry point SQLite derives from the file name libintrospect_sqlite.so.
extern "C" __attribute__((visibility("default"))) int sqlite3_introspectsqlite_init(
    sqlite3* db, char** err, const sqlite3_api_routines* api) {
  return sqlite3_introspect_init(db, err, api);
}
