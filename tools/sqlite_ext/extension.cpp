// libintrospect_sqlite: the `introspect` virtual tables as an SQLite loadable extension
// (docs/sqlite.md). Every SQLite call goes through the API table the host hands over, so the
// extension works in whichever SQLite loads it (the sqlite3 shell, Python, any binding).
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <introspect/sql/attach.hpp>
#if defined(INTROSPECT_EXT_HAS_BUNDLE)
#include <introspect/bundle/reader.hpp>
#endif

namespace {

namespace sql = introspect::sql;

// What introspect_attach keeps per connection: the module's context, and the directories the
// bundles it opened were extracted into (removed when the connection closes).
struct attach_state {
  sql::module_context* ctx = nullptr;
  std::map<std::string, std::vector<std::string>> bundles;  // bundle path -> its stores
  std::vector<std::string> dirs;
  ~attach_state() {
    for (const auto& d : dirs) {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  }
};

// STORE as the virtual tables read it: a bundle (bundle/reader.hpp, as the CLI reads one) is
// extracted once per connection into a private temporary directory and its stores returned.
std::vector<std::string> store_paths(attach_state& st, const std::string& path,
                                     std::string& notes) {
#if defined(INTROSPECT_EXT_HAS_BUNDLE)
  namespace bundle = introspect::bundle;
  if (!bundle::looks_like_bundle(path)) return {path};
  if (auto it = st.bundles.find(path); it != st.bundles.end()) return it->second;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir =
      (std::filesystem::path(tmpdir && *tmpdir ? tmpdir : "/tmp") / "introspect-bundle-XXXXXX")
          .string();
  if (!::mkdtemp(dir.data()))
    throw std::runtime_error(path + ": cannot make a temporary directory to read it in (" + dir +
                             "): " + std::strerror(errno));
  st.dirs.push_back(dir);
  const auto b = bundle::extract_bundle(path, dir);
  for (const auto& p : b.problems) notes += (notes.empty() ? "" : "; ") + path + ": " + p;
  std::vector<std::string> out;
  for (const auto& s : b.stores) out.push_back(s.string());
  if (out.empty())
    throw std::runtime_error(
        path + ": no store could be read from this bundle" +
        (b.problems.empty() ? std::string{} : " (" + b.problems.front() + ")"));
  st.bundles.emplace(path, out);
  return out;
#else
  (void)st, (void)notes;
  return {path};
#endif
}

// introspect_attach(STORE [, SCHEMA]): creates SCHEMA.state, .metric, ... and one table per
// user struct over STORE (SCHEMA defaults to temp); returns how many tables it created. STORE
// may be a support bundle (FILE.tar.zst): it is extracted as the CLI does, once per connection.
void attach_function(sqlite3_context* f, int argc, sqlite3_value** argv) {
  auto* st = static_cast<attach_state*>(sqlite3_user_data(f));
  auto* ctx = st->ctx;
  const auto* path = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto* schema =
      argc > 1 ? reinterpret_cast<const char*>(sqlite3_value_text(argv[1])) : nullptr;
  if (!path || !*path)
    return sqlite3_result_error(f, "introspect_attach(STORE): STORE is empty", -1);
  try {
    std::string notes;
    const auto stores = store_paths(*st, path, notes);
    // A damaged bundle still gives what is intact; what is not goes to SQLite's error log.
    if (!notes.empty()) sqlite3_log(SQLITE_WARNING, "introspect_attach: %s", notes.c_str());
    const std::string ddl =
        sql::create_tables_sql(*ctx, stores, {}, schema && *schema ? schema : "temp");
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
  if (ctx) {
    auto* st = new attach_state{ctx, {}, {}};
    // The state is deleted (and its bundle directories removed) when the connection closes.
    if (sqlite3_create_function_v2(
            db, "introspect_attach", -1, SQLITE_UTF8, st, attach_function, nullptr, nullptr,
            [](void* p) { delete static_cast<attach_state*>(p); }) != SQLITE_OK)
      error = sqlite3_errmsg(db), ctx = nullptr;
  }
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
