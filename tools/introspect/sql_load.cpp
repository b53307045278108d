// Loading a store's records into SQLite.
#include "sql_load.hpp"

namespace ixcli {

qexpr::record_filter sql_filter(const filter_args& fa, std::int64_t now) {
  auto f = make_filter(fa, now);
  if (fa.kinds.empty()) f.kinds = ~0u;
  f.tables = true;
  return f;
}

std::uint64_t load_into(introspect::sql::database& db, const filter_args& fa,
                        const qexpr::record_filter& f, const char* what) {
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  auto src = set.open(streams, f.hint(), log);
  introspect::sql::loader load(db);
  progress prog(what);
  std::uint64_t seen = 0, n = 0;
  ix::record r;
  while (src->next(r)) {
    prog.tick(++seen);
    if (!f.matches(r)) continue;
    load.add(r);
    ++n;
  }
  load.finish();
  return n;
}

}  // namespace ixcli
