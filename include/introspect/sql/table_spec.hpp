#pragma once
//! What one SQL virtual table reads (sql/vtab.hpp): the arguments of
//! `CREATE VIRTUAL TABLE t USING introspect(PATH, KIND [, key=value ...])`, the per-connection
//! context (opened stores, damage, counters) and the discovery of user structs and members.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/format/rfc3339.hpp>
#include <introspect/query/time_arg.hpp>
#include <introspect/sql/store_scan.hpp>

namespace introspect::inline v1::sql {

//! A table definition or store that cannot be used; the message names the argument or path.
struct table_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

//! Opens STORE arguments as one store set (throws table_error naming the bad path).
using store_set_opener =
    std::function<std::shared_ptr<const query::read::store_set>(const std::vector<std::string>&)>;

//! Opens local stores: stream-store roots or scopes, tiny-tier JSON-lines files or directories.
inline std::shared_ptr<const query::read::store_set> open_local_stores(
    const std::vector<std::string>& paths) {
  auto set = std::make_shared<query::read::store_set>();
  const std::vector<query::read::store_opener> openers{
      [](const std::filesystem::path& p) -> std::unique_ptr<query::read::store_reader> {
        if (query::read::is_stream_store(p) || query::read::is_stream_store_scope(p))
          return std::make_unique<query::read::stream_store_reader>(p);
        return nullptr;
      }};
  std::string error;
  if (!set->open(paths, openers, error)) throw table_error(error);
  return set;
}

//! A user struct as the store holds it: its record name and member keys in first-seen order.
struct struct_shape {
  std::string name;
  std::vector<std::string> keys;
};

//! Turns one STORE argument into the store paths it names (sql/bundle_stores.hpp: a support
//! bundle's extracted stores); `read_damaged`: what is intact of a damaged one, not an error.
using store_resolver =
    std::function<std::vector<std::string>(const std::string& path, bool read_damaged)>;

//! Shared by every introspect table of one connection (the module's client data).
struct module_context {
  store_set_opener open = open_local_stores;
  store_resolver resolve;  //!< empty: every STORE argument is a store path
  query::read::damage_log damage{{}, 100};
  scan_counters counters;

  //! The store set of `paths`, opened once per connection (resolved first).
  std::shared_ptr<const query::read::store_set> stores(const std::vector<std::string>& paths,
                                                       bool read_damaged = false) {
    std::vector<std::string> local;
    for (const auto& p : paths) {
      if (!resolve) {
        local.push_back(p);
        continue;
      }
      for (auto& r : resolve(p, read_damaged)) local.push_back(std::move(r));
    }
    auto& s = sets_[key_of(local)];
    if (!s) s = open(local);
    return s;
  }

  //! The user structs of `paths` (one scan of the records of kind `record`, then cached).
  const std::vector<struct_shape>& structs(const std::vector<std::string>& paths,
                                           bool read_damaged = false) {
    auto set = stores(paths, read_damaged);
    const auto key = key_of(paths);
    if (auto it = structs_.find(key); it != structs_.end()) return it->second;
    std::vector<struct_shape> out;
    std::map<std::string, std::size_t, std::less<>> at;
    scan_bounds b;
    b.kinds = 1u << static_cast<unsigned>(record_kind::record);
    scan_counters ignored;
    store_scan scan(*set, set->streams(), b, damage, ignored);
    while (scan.next()) {
      const auto& r = scan.row();
      auto it = at.find(r.name);
      if (it == at.end()) {
        it = at.emplace(std::string(r.name), out.size()).first;
        out.push_back({std::string(r.name), {}});
      }
      auto& keys = out[it->second].keys;
      for (const auto& f : r.fields)
        if (std::find(keys.begin(), keys.end(), f.key) == keys.end()) keys.emplace_back(f.key);
    }
    return structs_.emplace(key, std::move(out)).first->second;
  }

 private:
  static std::string key_of(const std::vector<std::string>& paths) {
    std::string k;
    for (const auto& p : paths) k += p + '\0';
    return k;
  }
  std::map<std::string, std::shared_ptr<const query::read::store_set>> sets_;
  std::map<std::string, std::vector<struct_shape>> structs_;
};

//! What a table holds: the records of one kind, of one user struct, or (the table-valued
//! function `introspect(STORE, KIND, STREAM)`) any record of a store named per query.
enum class table_shape { kind, structure, any };

//! A parsed table definition.
struct table_spec {
  table_shape shape = table_shape::any;
  record_kind kind = record_kind::state;
  std::string struct_name;          //!< the struct's record name (shape structure)
  std::vector<std::string> stores;  //!< PATH and every store=PATH
  scan_bounds base;                 //!< since/until/stream/scope given as arguments
  std::string stream_glob, scope_glob;
  bool read_damaged = false;  //!< on_damage=read: what is intact of a damaged bundle
};

namespace detail {
inline std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}
// An argument as SQLite hands it over (as written): a quoted string loses its quotes.
inline std::string unquote(std::string_view raw) {
  std::string s = trim(raw);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    const char q = s.front();
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      out += s[i];
      if (s[i] == q && i + 2 < s.size() && s[i + 1] == q) ++i;
    }
    return out;
  }
  return s;
}
inline std::int64_t time_value(const std::string& key, const std::string& v) {
  if (auto t = query::parse_rfc3339_checked(v)) return *t;
  if (!v.empty() && v.find_first_not_of("-0123456789") == std::string::npos) {
    try {
      return std::stoll(v);
    } catch (const std::exception&) {
    }
  }
  throw table_error(key + "=" + v + ": not an RFC 3339 time or nanoseconds since the epoch");
}
}  // namespace detail

//! `on_damage=`: `read` (what is intact of a damaged bundle) or `error` (the default).
inline bool read_damaged_arg(std::string_view v) {
  if (v == "read") return true;
  if (v == "error") return false;
  throw table_error("on_damage=" + std::string(v) +
                    ": use read (what is intact of a damaged bundle) or error");
}

//! Parses module arguments: PATH, then KIND (a kind name, `struct:NAME`, or a struct's name),
//! then any of store=PATH (more stores), since=T, until=T (RFC 3339 or epoch ns), stream=GLOB,
//! scope=GLOB, on_damage=read|error. Throws table_error naming the bad argument.
inline table_spec parse_table_args(const std::vector<std::string>& raw) {
  table_spec t;
  std::vector<std::string> positional;
  for (const auto& a : raw) {
    const auto s = detail::trim(a);
    const auto eq = s.find('=');
    const bool quoted = !s.empty() && (s.front() == '\'' || s.front() == '"');
    if (quoted || eq == std::string::npos) {
      positional.push_back(detail::unquote(s));
      continue;
    }
    const auto key = detail::trim(std::string_view(s).substr(0, eq));
    const auto val = detail::unquote(std::string_view(s).substr(eq + 1));
    if (key == "store" || key == "path")
      t.stores.push_back(val);
    else if (key == "kind")
      positional.resize(std::max<std::size_t>(positional.size(), 1)), positional.push_back(val);
    else if (key == "since")
      t.base.since_at_least(detail::time_value(key, val));
    else if (key == "until")
      t.base.until_below(detail::time_value(key, val));
    else if (key == "stream")
      t.stream_glob = val;
    else if (key == "scope")
      t.scope_glob = val;
    else if (key == "on_damage")
      t.read_damaged = read_damaged_arg(val);
    else
      throw table_error("introspect table argument \"" + s +
                        "\": unknown key (use store, kind, since, until, stream, scope or "
                        "on_damage)");
  }
  if (!positional.empty() && !positional[0].empty())
    t.stores.insert(t.stores.begin(), positional[0]);
  if (t.stores.empty())
    throw table_error(
        "introspect table: no store given; use USING introspect('/path/to/store', kind)");
  const std::string kind = positional.size() > 1 ? positional[1] : std::string{};
  if (positional.size() > 2)
    throw table_error("introspect table argument \"" + positional[2] +
                      "\": one store and one kind only");
  if (kind.empty() || kind == "*" || kind == "any") {
    t.shape = table_shape::any;
  } else if (auto k = parse_record_kind(kind)) {
    t.shape = table_shape::kind;
    t.kind = *k;
  } else {
    t.shape = table_shape::structure;
    t.struct_name = kind.rfind("struct:", 0) == 0 ? kind.substr(7) : kind;
    if (t.struct_name.empty())
      throw table_error("introspect table kind \"" + kind + "\": empty struct name");
  }
  return t;
}

//! Conservative time bounds for a comparison of the text column `ts` with `text`: ts holds
//! fixed-width RFC 3339 UTC ("2026-01-01T00:00:00.000000000Z"), so text order is time order
//! and a bound cut to whole seconds (or days) is a safe range; SQLite still checks each row.
//! Returns [since, until) that contains every row that can satisfy `ts OP text`.
inline std::pair<std::int64_t, std::int64_t> ts_text_range(std::string_view text, bool lower) {
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  std::optional<std::int64_t> at;
  std::int64_t unit = 86'400'000'000'000;
  if (text.size() >= 19 && text[10] == 'T')
    if (auto t = query::parse_rfc3339_checked(std::string(text.substr(0, 19)) + "Z"))
      at = t, unit = 1'000'000'000;
  if (!at && text.size() >= 10) at = query::parse_rfc3339_checked(text.substr(0, 10));
  if (!at) return {lo, hi};
  if (lower) return {*at, hi};
  return {lo, *at + unit};
}

}  // namespace introspect::inline v1::sql
