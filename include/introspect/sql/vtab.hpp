#pragma once
//! The `introspect` SQLite module (needs SQLite; docs/sqlite.md): virtual tables over a store on
//! disk, read in place, never copied.
//!
//! @code
//! CREATE VIRTUAL TABLE temp.metric USING introspect('/var/lib/product/introspection', metric);
//! SELECT name, avg(value) FROM metric WHERE ts BETWEEN '2026-01-01T00:00:01' AND
//!   '2026-01-01T00:00:02' GROUP BY name;
//! SELECT kind, count(*) FROM introspect('/var/lib/product/introspection') GROUP BY kind;
//! @endcode
//!
//! xBestIndex hands time bounds (ts, ts_ns), name equality and LIKE/GLOB prefixes, kind, stream
//! and instance equality to the scan (sql/store_scan.hpp), which starts at the time index entry
//! and stops past the range. Include this header after <sqlite3ext.h> in a loadable extension.
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <introspect/format/jsonl.hpp>
#include <introspect/sql/vtab_schema.hpp>

namespace introspect::inline v1::sql {

namespace detail {

struct ix_vtab : sqlite3_vtab {
  module_context* ctx = nullptr;
  table_spec spec;
  std::shared_ptr<const query::read::store_set> set;  // null for the table-valued function
  std::vector<column> cols;
};

struct ix_cursor : sqlite3_vtab_cursor {
  std::shared_ptr<const query::read::store_set> set;  // keeps the store open while the scan runs
  std::optional<store_scan> scan;
  bool eof = true;
  sqlite3_int64 rowid = 0;
  std::string text;  // scratch for ts and fields
};

inline int fail(char** err, const std::string& msg) {
  *err = sqlite3_mprintf("%s", msg.c_str());
  return SQLITE_ERROR;
}

inline int x_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                     char** err) {
  auto* ctx = static_cast<module_context*>(aux);
  try {
    auto vt = std::make_unique<ix_vtab>();
    vt->ctx = ctx;
    if (argc > 3) {
      vt->spec = parse_table_args(std::vector<std::string>(argv + 3, argv + argc));
      vt->set = ctx->stores(vt->spec.stores, vt->spec.read_damaged);
      if (vt->spec.shape == table_shape::structure) {
        const auto& ss = ctx->structs(vt->spec.stores, vt->spec.read_damaged);
        bool found = false;
        for (const auto& s : ss) found |= s.name == vt->spec.struct_name;
        if (!found)
          throw table_error("introspect table kind \"" + vt->spec.struct_name +
                            "\": neither a kind (state, metric, notification, insight, record, "
                            "snapshot, meta) nor a user struct recorded in the store");
        const int rc = sqlite3_declare_vtab(db, declare(vt->spec, &ss, vt->cols).c_str());
        if (rc != SQLITE_OK) return rc;
        *out = vt.release();
        return SQLITE_OK;
      }
    }
    const int rc = sqlite3_declare_vtab(db, declare(vt->spec, nullptr, vt->cols).c_str());
    if (rc != SQLITE_OK) return rc;
    *out = vt.release();
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return fail(err, e.what());
  }
}

inline int x_disconnect(sqlite3_vtab* v) {
  delete static_cast<ix_vtab*>(v);
  return SQLITE_OK;
}

// Operator codes in idxStr, one character per argument xFilter receives.
inline char op_code(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
      return '=';
    case SQLITE_INDEX_CONSTRAINT_GT:
      return '>';
    case SQLITE_INDEX_CONSTRAINT_GE:
      return 'g';
    case SQLITE_INDEX_CONSTRAINT_LT:
      return '<';
    case SQLITE_INDEX_CONSTRAINT_LE:
      return 'l';
    case SQLITE_INDEX_CONSTRAINT_LIKE:
      return 'L';
    case SQLITE_INDEX_CONSTRAINT_GLOB:
      return 'G';
    default:
      return 0;
  }
}

inline int x_best_index(sqlite3_vtab* v, sqlite3_index_info* info) {
  auto* vt = static_cast<ix_vtab*>(v);
  std::string plan;  // pairs: column index, op code
  double cost = 1e7;
  bool have_store = vt->set != nullptr;
  int argv = 0;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn < 0) continue;
    const char op = op_code(c.op);
    if (!op) continue;
    const auto id = vt->cols[static_cast<std::size_t>(c.iColumn)].id;
    bool take = false;
    switch (id) {
      case col_id::ts:
      case col_id::ts_ns:
        take = op != 'L' && op != 'G';
        if (take) cost /= op == '=' ? 1000 : 30;
        break;
      case col_id::name:
        take = op == '=' || op == 'L' || op == 'G';
        if (take) cost /= op == '=' ? 10 : 3;
        break;
      case col_id::kind:
      case col_id::stream:
      case col_id::instance:
      case col_id::of_kind:
        take = op == '=';
        if (take) cost /= 2;
        break;
      case col_id::on_damage:
        take = op == '=';
        break;
      case col_id::store:
        take = op == '=';
        have_store |= take;
        break;
      default:
        break;
    }
    if (!take) continue;
    info->aConstraintUsage[i].argvIndex = ++argv;
    // The store and kind arguments of the table-valued function are not columns to check.
    info->aConstraintUsage[i].omit =
        id == col_id::store || id == col_id::of_kind || id == col_id::on_damage;
    plan += static_cast<char>('A' + static_cast<int>(id));  // the column's role, not its index
    plan += op;
  }
  if (!have_store) {
    // The table-valued function without its STORE argument: a plan of last resort whose
    // xFilter says what is missing (SQLite's own "no query solution" would not).
    info->estimatedCost = 1e300;
    plan.insert(0, "!");
  }
  info->idxStr = sqlite3_mprintf("%s", plan.c_str());
  info->needToFreeIdxStr = 1;
  if (have_store) info->estimatedCost = cost;
  info->estimatedRows = static_cast<sqlite3_int64>(cost);
  return SQLITE_OK;
}

inline int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new ix_cursor();
  return SQLITE_OK;
}
inline int x_close(sqlite3_vtab_cursor* c) {
  delete static_cast<ix_cursor*>(c);
  return SQLITE_OK;
}

inline std::string_view text_of(sqlite3_value* v) {
  const auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return t ? std::string_view(t, static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view{};
}

// Applies one pushed-down constraint to the scan's bounds; SQLite checks every row again unless
// told otherwise, so a bound may be wider than the constraint, never narrower.
inline void apply(scan_bounds& b, col_id id, char op, sqlite3_value* v, std::string& store,
                  bool& read_damaged, bool& no_rows) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) {
    // col = NULL is never true; NULL arguments of the function mean "not given".
    if (id != col_id::of_kind && id != col_id::on_damage) no_rows = true;
    return;
  }
  switch (id) {
    case col_id::ts_ns: {
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) return;  // compared as text: no bound
      const double d = sqlite3_value_double(v);
      if (std::abs(d) > 9e18) return;
      const auto lo = static_cast<std::int64_t>(std::floor(d));
      const auto hi = static_cast<std::int64_t>(std::ceil(d));
      if (op == '=' || op == '>' || op == 'g') b.since_at_least(op == '>' ? lo : lo);
      if (op == '=' || op == '<' || op == 'l') b.until_below(hi + 1);
      return;
    }
    case col_id::ts: {
      if (type != SQLITE_TEXT) return;
      const auto s = text_of(v);
      if (op == '=' || op == '>' || op == 'g') b.since_at_least(ts_text_range(s, true).first);
      if (op == '=' || op == '<' || op == 'l') b.until_below(ts_text_range(s, false).second);
      return;
    }
    case col_id::name: {
      const auto s = text_of(v);
      if (op == '=') {
        if (b.name && *b.name != s) no_rows = true;
        b.name = std::string(s);
        return;
      }
      const std::string_view wild = op == 'L' ? "%_" : "*?[";
      b.name_prefix = std::string(s.substr(0, std::min(s.find_first_of(wild), s.size())));
      b.prefix_nocase = op == 'L';
      return;
    }
    case col_id::kind:
    case col_id::of_kind: {
      const auto s = text_of(v);
      if (id == col_id::of_kind && (s.empty() || s == "*" || s == "any")) return;
      const auto k = parse_record_kind(s);
      b.kinds &= k ? 1u << static_cast<unsigned>(*k) : 0u;
      return;
    }
    case col_id::stream:
      b.stream = std::string(text_of(v));
      return;
    case col_id::instance:
      b.instance = std::string(text_of(v));
      return;
    case col_id::store:
      store = std::string(text_of(v));
      return;
    case col_id::on_damage:
      read_damaged = read_damaged_arg(text_of(v));
      return;
    default:
      return;
  }
}

inline int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx, int argc,
                    sqlite3_value** argv) {
  auto* c = static_cast<ix_cursor*>(cur);
  auto* vt = static_cast<ix_vtab*>(cur->pVtab);
  try {
    scan_bounds b = vt->spec.base;
    if (vt->spec.shape == table_shape::kind) b.kinds = 1u << static_cast<unsigned>(vt->spec.kind);
    if (vt->spec.shape == table_shape::structure) {
      b.kinds = 1u << static_cast<unsigned>(record_kind::record);
      b.name = vt->spec.struct_name;
    }
    std::string store;
    bool no_rows = false, read_damaged = vt->spec.read_damaged;
    std::string_view plan = idx ? idx : "";
    if (!plan.empty() && plan.front() == '!')
      throw table_error(
          "introspect(STORE [, KIND [, STREAM]]): the table-valued function needs its STORE "
          "argument, e.g. SELECT count(*) FROM introspect('/var/lib/product/introspection')");
    for (int i = 0; i < argc && static_cast<std::size_t>(2 * i + 1) < plan.size(); ++i) {
      apply(b, static_cast<col_id>(plan[2 * i] - 'A'), plan[2 * i + 1], argv[i], store,
            read_damaged, no_rows);
    }
    c->scan.reset();  // before the store set it reads may go
    c->set = vt->set ? vt->set : vt->ctx->stores({store}, read_damaged);
    if (no_rows) b.kinds = 0;
    c->scan.emplace(*c->set, c->set->streams(vt->spec.stream_glob, vt->spec.scope_glob),
                    std::move(b), vt->ctx->damage, vt->ctx->counters);
    c->rowid = 0;
    c->eof = !c->scan->next();
    return SQLITE_OK;
  } catch (const std::exception& e) {
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_mprintf("%s", e.what());
    return SQLITE_ERROR;
  }
}

inline int x_next(sqlite3_vtab_cursor* cur) {
  auto* c = static_cast<ix_cursor*>(cur);
  try {
    c->eof = !c->scan->next();
  } catch (const std::exception& e) {  // no exception may cross into SQLite's C frames
    sqlite3_free(cur->pVtab->zErrMsg);
    cur->pVtab->zErrMsg = sqlite3_mprintf("%s", e.what());
    return SQLITE_ERROR;
  }
  ++c->rowid;
  return SQLITE_OK;
}
inline int x_eof(sqlite3_vtab_cursor* cur) { return static_cast<ix_cursor*>(cur)->eof; }
inline int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* id) {
  *id = static_cast<ix_cursor*>(cur)->rowid;
  return SQLITE_OK;
}

inline void result_text(sqlite3_context* ctx, std::string_view s) {
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

inline void result_value(sqlite3_context* ctx, const value_view& v) {
  switch (v.type()) {
    case value_type::integer:
      return sqlite3_result_int64(ctx, v.as_int());
    case value_type::real:
      return sqlite3_result_double(ctx, v.as_real());
    case value_type::boolean:
      return sqlite3_result_int64(ctx, v.as_bool() ? 1 : 0);
    case value_type::string:
      return result_text(ctx, v.as_string());
    default:
      return sqlite3_result_null(ctx);
  }
}

inline int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int i) {
  auto* c = static_cast<ix_cursor*>(cur);
  const auto* vt = static_cast<const ix_vtab*>(cur->pVtab);
  const auto& col = vt->cols[static_cast<std::size_t>(i)];
  const auto& r = c->scan->row();
  const bool has_sev = r.kind == record_kind::notification || r.kind == record_kind::insight;
  switch (col.id) {
    case col_id::ts:
      c->text.resize(rfc3339_length);
      format_rfc3339(r.ts_ns, c->text.data());
      result_text(ctx, c->text);
      break;
    case col_id::ts_ns:
      sqlite3_result_int64(ctx, r.ts_ns);
      break;
    case col_id::instance:
      result_text(ctx, r.instance);
      break;
    case col_id::source:
      result_text(ctx, r.source);
      break;
    case col_id::name:
      result_text(ctx, r.name);
      break;
    case col_id::kind:
      result_text(ctx, to_string(r.kind));
      break;
    case col_id::severity:
      if (has_sev)
        result_text(ctx, to_string(r.sev));
      else
        sqlite3_result_null(ctx);
      break;
    case col_id::type:
      if (r.kind == record_kind::metric)
        result_text(ctx, to_string(r.mtype));
      else
        sqlite3_result_null(ctx);
      break;
    case col_id::value:
      result_value(ctx, r.val);
      break;
    case col_id::is_table:
      sqlite3_result_int64(ctx, (r.flags & flag_table) ? 1 : 0);
      break;
    case col_id::flags:
      sqlite3_result_int64(ctx, r.flags);
      break;
    case col_id::fields:
      c->text = "{";
      for (std::size_t k = 0; k < r.fields.size(); ++k) {
        if (k) c->text += ',';
        append_json_string(c->text, r.fields[k].key);
        c->text += ':';
        append_json_value(c->text, r.fields[k].value);
      }
      c->text += '}';
      result_text(ctx, c->text);
      break;
    case col_id::field:
      if (const auto* f = r.find_field(col.key))
        result_value(ctx, *f);
      else
        sqlite3_result_null(ctx);
      break;
    case col_id::stream:
      if (c->scan->stream().empty())
        sqlite3_result_null(ctx);
      else
        result_text(ctx, c->scan->stream());
      break;
    case col_id::store:
    case col_id::of_kind:
    case col_id::on_damage:
      sqlite3_result_null(ctx);
      break;
  }
  return SQLITE_OK;
}

inline const sqlite3_module& module() {
  static const sqlite3_module m = {
      /*iVersion*/ 0, x_connect, x_connect, x_best_index, x_disconnect, x_disconnect,
      x_open,         x_close,   x_filter,  x_next,       x_eof,        x_column,
      x_rowid,        nullptr,   nullptr,   nullptr,      nullptr,      nullptr,
      nullptr,        nullptr,   nullptr,   nullptr,      nullptr,      nullptr};
  return m;
}

}  // namespace detail

//! Registers the `introspect` module on `db` with `ctx` (owned by the connection from then on).
//! Returns an SQLite result code.
inline int register_module(sqlite3* db, std::unique_ptr<module_context> ctx) {
  return sqlite3_create_module_v2(db, "introspect", &detail::module(), ctx.release(),
                                  [](void* p) { delete static_cast<module_context*>(p); });
}

}  // namespace introspect::inline v1::sql
