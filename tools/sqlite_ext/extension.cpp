// libintrospect_sqlite: the `introspect` virtual tables as an SQLite loadable extension
// (docs/sqlite.md). Every SQLite call goes through the API table the host hands over, so the
// extension works in whichever SQLite loads it (the sqlite3 shell, Python, any binding).
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <functional>
#include <string>

#include <introspect/sql/attach.hpp>
#if defined(INTROSPECT_EXT_HAS_BUNDLE)
#include <introspect/sql/bundle_stores.hpp>
#endif

namespace {

namespace sql = introspect::sql;

// introspect_attach(STORE [, SCHEMA [, ON_DAMAGE]]): creates SCHEMA.state, .metric, ... and one
// table per user struct over STORE (SCHEMA defaults to temp); returns how many tables it
// created. STORE may be a support bundle (FILE.tar.zst), read as every table reads one
// (sql/bundle_stores.hpp); ON_DAMAGE 'read' gives what is intact of a damaged one.
void attach_function(sqlite3_context* f, int argc, sqlite3_value** argv) {
  auto* ctx = static_cast<sql::module_context*>(sqlite3_user_data(f));
  auto text = [&](int i) {
    return argc > i ? reinterpret_cast<const char*>(sqlite3_value_text(argv[i])) : nullptr;
  };
  const char* path = text(0);
  const char* schema = text(1);
  const char* on_damage = text(2);
  if (!path || !*path)
    return sqlite3_result_error(f, "introspect_attach(STORE): STORE is empty", -1);
  try {
    const bool read_damaged = on_damage && sql::read_damaged_arg(on_damage);
    const std::string ddl = sql::create_tables_sql(
        *ctx, {path}, {}, schema && *schema ? schema : "temp", sql::tables::all, read_damaged);
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
  auto mc = std::make_unique<sql::module_context>();
  std::function<std::string(std::string)> display = [](std::string s) { return s; };
#if defined(INTROSPECT_EXT_HAS_BUNDLE)
  // A bundle is extracted once per connection into a private directory; the context owns it,
  // so it is removed when the connection closes.
  auto& bundles =
      sql::read_bundles(*mc, [ctx = mc.get()](const std::string& bundle, const std::string& what) {
        ctx->damage.report(introspect::query::read::damage{bundle, 0, 0, what});
      });
  display = [&bundles](std::string s) { return bundles.display(std::move(s)); };
#endif
  // Damage the readers find (and the losses of a bundle read with on_damage=read) goes to
  // SQLite's error log, named as the CLI names it; introspect_stats() counts it.
  mc->damage = introspect::query::read::damage_log{
      [display](const introspect::query::read::damage& d) {
        sqlite3_log(SQLITE_WARNING, "introspect: %s", display(d.to_string()).c_str());
      },
      100};
  auto* ctx = sql::install(db, std::move(mc), error);
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
