#pragma once
//! A thin RAII layer over SQLite (needs introspect::sqlite): a connection and prepared
//! statements whose errors become exceptions carrying SQLite's message.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace introspect::inline v1::sql {

//! An SQLite error with SQLite's own message (bad SQL, unknown table, I/O).
struct sql_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

//! A prepared statement; bind, step, read columns, reset.
class statement {
 public:
  statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
      throw sql_error(sqlite3_errmsg(db));
    stmt_.reset(s);
  }
  sqlite3_stmt* get() const noexcept { return stmt_.get(); }

  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(get(), i, v)); }
  void bind(int i, double v) { check(sqlite3_bind_double(get(), i, v)); }
  void bind(int i, std::string_view v) {
    check(sqlite3_bind_text(get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int i) { check(sqlite3_bind_null(get(), i)); }

  //! True when a row is available; false when done.
  bool step() {
    const int rc = sqlite3_step(get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw sql_error(sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(get());
    sqlite3_clear_bindings(get());
  }
  int columns() const noexcept { return sqlite3_column_count(get()); }
  std::string_view column_name(int i) const noexcept { return sqlite3_column_name(get(), i); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw sql_error(sqlite3_errmsg(db_));
  }
  struct finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

//! An SQLite connection (":memory:" or a file).
class database {
 public:
  explicit database(const std::string& path = ":memory:") {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    db_.reset(db);
    if (rc != SQLITE_OK)
      throw sql_error("cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  }
  sqlite3* get() const noexcept { return db_.get(); }

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(get(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw sql_error(msg);
    }
  }
  statement prepare(std::string_view sql) { return statement(get(), sql); }

 private:
  struct closer {
    void operator()(sqlite3* d) const noexcept { sqlite3_close(d); }
  };
  std::unique_ptr<sqlite3, closer> db_;
};

}  // namespace introspect::inline v1::sql
