#pragma once
// Records copied into SQLite through sql::loader: what `export --format sqlite` writes (`sql` itself
// reads the store in place through the virtual tables of sql/vtab.hpp).
#include <cstdint>

#include <introspect/query/expr/filter.hpp>
#include <introspect/sql/loader.hpp>

#include "common.hpp"

namespace ixcli {

// The filter of a whole-store copy: every kind (meta too: it has a table) and the state-table
// lines (the state table's is_table column tells them apart), unless --kind/--table narrow it.
qexpr::record_filter sql_filter(const filter_args& fa, std::int64_t now);

// Loads the records of fa's stores that pass `f` into `db` (tables, then indexes); returns how
// many. Damage is reported on stderr as for every command.
std::uint64_t load_into(introspect::sql::database& db, const filter_args& fa,
                        const qexpr::record_filter& f, const char* what);

}  // namespace ixcli
