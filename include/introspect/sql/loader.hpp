#pragma once
//! Loads records into SQLite tables (needs introspect::sqlite): `state`, `metric`,
//! `notification`, `insight`, `snapshot`, `meta`, and one table per user struct, named after the
//! struct, with one column per member. Attributes and fields are also kept as JSON text in a
//! `fields` column, so json_extract() works on them.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/sql/columns.hpp>
#include <introspect/sql/sqlite_db.hpp>

namespace introspect::inline v1::sql {

namespace detail {

inline void bind_value(statement& st, int i, const value& v) {
  std::visit(
      [&](const auto& x) {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>)
          st.bind_null(i);
        else if constexpr (std::is_same_v<X, bool>)
          st.bind(i, std::int64_t{x ? 1 : 0});
        else if constexpr (std::is_same_v<X, std::string>)
          st.bind(i, std::string_view{x});
        else
          st.bind(i, x);
      },
      v);
}

inline std::string fields_json(const record& r) {
  std::string j = "{";
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    if (i) j += ',';
    append_json_string(j, r.fields[i].key);
    j += ':';
    append_json_value(j, to_view(r.fields[i].val));
  }
  j += '}';
  return j;
}

}  // namespace detail

//! Streams records into a database in one transaction with prepared statements.
class loader {
 public:
  explicit loader(database& db) : db_(db) {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS state(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, value, is_table INTEGER);"
        "CREATE TABLE IF NOT EXISTS metric(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, type TEXT, value, count INTEGER, sum, min, max, p50, p90, p99);"
        "CREATE TABLE IF NOT EXISTS notification(ts TEXT, ts_ns INTEGER, instance TEXT, source "
        "TEXT, name TEXT, severity TEXT, fields TEXT);"
        "CREATE TABLE IF NOT EXISTS insight(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, severity TEXT, value, fields TEXT);"
        "CREATE TABLE IF NOT EXISTS snapshot(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, value, fields TEXT);"
        "CREATE TABLE IF NOT EXISTS meta(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, value, fields TEXT);"
        "CREATE TABLE IF NOT EXISTS record(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT, "
        "name TEXT, fields TEXT);"
        "BEGIN");
    state_.emplace(db_.prepare("INSERT INTO state VALUES(?,?,?,?,?,?,?)"));
    metric_.emplace(db_.prepare("INSERT INTO metric VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    notification_.emplace(db_.prepare("INSERT INTO notification VALUES(?,?,?,?,?,?,?)"));
    insight_.emplace(db_.prepare("INSERT INTO insight VALUES(?,?,?,?,?,?,?,?)"));
    snapshot_.emplace(db_.prepare("INSERT INTO snapshot VALUES(?,?,?,?,?,?,?)"));
    meta_.emplace(db_.prepare("INSERT INTO meta VALUES(?,?,?,?,?,?,?)"));
    record_.emplace(db_.prepare("INSERT INTO record VALUES(?,?,?,?,?,?)"));
  }
  loader(const loader&) = delete;
  loader& operator=(const loader&) = delete;

  //! Inserts one record into the table of its kind (and its struct's table).
  void add(const record& r) {
    switch (r.kind) {
      case record_kind::state: {
        auto& st = common(*state_, r);
        detail::bind_value(st, 6, r.val);
        st.bind(7, std::int64_t{(r.flags & flag_table) ? 1 : 0});
        run(st);
        break;
      }
      case record_kind::metric:
        add_metric(r);
        break;
      case record_kind::notification: {
        auto& st = common(*notification_, r);
        st.bind(6, to_string(r.sev));
        st.bind(7, detail::fields_json(r));
        run(st);
        break;
      }
      case record_kind::insight: {
        auto& st = common(*insight_, r);
        st.bind(6, to_string(r.sev));
        detail::bind_value(st, 7, r.val);
        st.bind(8, detail::fields_json(r));
        run(st);
        break;
      }
      case record_kind::record:
        add_struct(r);
        break;
      case record_kind::snapshot:
      case record_kind::meta: {
        auto& st = common(r.kind == record_kind::meta ? *meta_ : *snapshot_, r);
        detail::bind_value(st, 6, r.val);
        st.bind(7, detail::fields_json(r));
        run(st);
        break;
      }
    }
    ++rows_;
  }

  //! Commits, then creates the indexes on time and name (faster after the bulk insert).
  void finish() {
    state_.reset(), metric_.reset(), notification_.reset(), insight_.reset();
    snapshot_.reset(), meta_.reset(), record_.reset(), structs_.clear();
    db_.exec("COMMIT");
    std::string idx;
    for (std::string t :
         {"state", "metric", "notification", "insight", "snapshot", "meta", "record"})
      idx += "CREATE INDEX IF NOT EXISTS " + t + "_ts ON " + t +
             "(ts_ns);CREATE INDEX IF NOT EXISTS " + t + "_name ON " + t + "(name);";
    for (const auto& t : struct_tables_)
      idx +=
          "CREATE INDEX IF NOT EXISTS " + quote_id(t + "_ts") + " ON " + quote_id(t) + "(ts_ns);";
    db_.exec(idx);
  }

  std::uint64_t rows() const noexcept { return rows_; }

 private:
  statement& common(statement& st, const record& r) {
    char ts[rfc3339_length];
    format_rfc3339(r.ts_ns, ts);
    st.bind(1, std::string_view{ts, rfc3339_length});
    st.bind(2, r.ts_ns);
    st.bind(3, std::string_view{r.instance});
    st.bind(4, std::string_view{r.source});
    st.bind(5, std::string_view{r.name});
    return st;
  }
  static void run(statement& st) {
    st.step();
    st.reset();
  }

  void add_metric(const record& r) {
    auto& st = common(*metric_, r);
    st.bind(6, to_string(r.mtype));
    detail::bind_value(st, 7, r.val);
    int col = 8;
    for (const char* k : {"count", "sum", "min", "max", "p50", "p90", "p99"}) {
      if (const value* v = r.find_field(k))
        detail::bind_value(st, col, *v);
      else
        st.bind_null(col);
      ++col;
    }
    run(st);
  }

  void add_struct(const record& r) {
    auto& g = common(*record_, r);
    g.bind(6, detail::fields_json(r));
    run(g);
    auto& st = struct_statement(r);
    char ts[rfc3339_length];
    format_rfc3339(r.ts_ns, ts);
    st.bind(1, std::string_view{ts, rfc3339_length});
    st.bind(2, r.ts_ns);
    st.bind(3, std::string_view{r.instance});
    st.bind(4, std::string_view{r.source});
    auto& cols = columns_[struct_table(r.name)];
    for (const auto& f : r.fields) {
      for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i].key == f.key) detail::bind_value(st, static_cast<int>(5 + i), f.val);
    }
    run(st);
  }

  // The insert statement of a struct's table; a member never seen before adds a column.
  statement& struct_statement(const record& r) {
    const auto table = struct_table(r.name);
    auto& cols = columns_[table];
    bool changed = false;
    if (!struct_tables_.count(table)) {
      db_.exec("CREATE TABLE IF NOT EXISTS " + quote_id(table) +
               "(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT)");
      struct_tables_.insert(table);
      changed = true;
    }
    for (const auto& f : r.fields) {
      if (std::find_if(cols.begin(), cols.end(), [&](auto& c) { return c.key == f.key; }) !=
          cols.end())
        continue;
      // A member named like a fixed column, or like another member but for case, gets a
      // prefix (columns.hpp): SQL names ignore case, so both would be "duplicate column name".
      std::vector<std::string> keys;
      for (const auto& c : cols) keys.push_back(c.key);
      keys.push_back(f.key);
      auto name = struct_member_columns(keys).back();
      db_.exec("ALTER TABLE " + quote_id(table) + " ADD COLUMN " + quote_id(name));
      cols.push_back({f.key, std::move(name)});
      changed = true;
    }
    auto it = structs_.find(table);
    if (changed || it == structs_.end()) {
      std::string sql = "INSERT INTO " + quote_id(table) + "(ts,ts_ns,instance,source";
      for (const auto& c : cols) sql += "," + quote_id(c.column);
      sql += ") VALUES(?,?,?,?";
      for (std::size_t i = 0; i < cols.size(); ++i) sql += ",?";
      sql += ")";
      structs_.erase(table);
      it = structs_.emplace(table, db_.prepare(sql)).first;
    }
    return it->second;
  }

  database& db_;
  std::optional<statement> state_, metric_, notification_, insight_, snapshot_, meta_, record_;
  std::map<std::string, statement> structs_;
  struct member_column {
    std::string key, column;
  };
  std::map<std::string, std::vector<member_column>> columns_;
  std::set<std::string> struct_tables_;
  std::uint64_t rows_ = 0;
};

}  // namespace introspect::inline v1::sql
