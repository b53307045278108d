// introspect streams: one row per stream: records, bytes and time range (-o wide: counts per
// kind, table lines and damage too; json and csv always have everything). For a federated
// (nats://) or teed (forwarded to JetStream) store, LAG: the bytes of the instance's store not
// yet in JetStream (docs/jetstream.md).
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include <introspect/core/clock.hpp>
#include <introspect/jetstream/cursor_file.hpp>

#include "common.hpp"
#include "remote.hpp"

namespace ixcli {

namespace {

// Per selected stream, its lag when the store can tell: a federated store from the forwarders'
// progress reports, a local stream store from the cursor its forwarder persists there.
std::vector<std::optional<std::uint64_t>> lags_of(const qread::store_set& set,
                                                  const std::vector<qread::stream_in_set>& sel) {
  std::vector<std::optional<std::uint64_t>> out(sel.size());
  std::map<std::size_t, std::map<std::pair<std::string, std::string>, std::uint64_t>> remote;
  for (std::size_t i = 0; i < sel.size(); ++i) {
    const auto& store = *set.stores()[sel[i].store];
    const auto& d = sel[i].desc;
    if (store.format() == "jetstream") {
      auto it = remote.find(sel[i].store);
      if (it == remote.end()) it = remote.emplace(sel[i].store, nats_stream_lags(store)).first;
      if (auto l = it->second.find({d.scope, d.name}); l != it->second.end()) out[i] = l->second;
    } else if (dynamic_cast<const qread::stream_store_reader*>(&store)) {
      const std::filesystem::path root = std::filesystem::path(d.path).parent_path().parent_path();
      out[i] = ix::jetstream::teed_lag_bytes(root, d.scope, d.name);
    }
  }
  return out;
}

}  // namespace

int cmd_streams(const filter_args& fa, const output_args& oa) {
  const auto format = make_format(oa.format);
  auto set = open_stores(fa.stores);
  auto log = make_damage_log();
  qread::read_hint all;
  constexpr int nk = 7;
  struct row {
    std::string scope, name, path;
    std::uint64_t bytes = 0, records = 0, tables = 0, damaged = 0;
    std::uint64_t per_kind[nk + 1] = {};
    std::int64_t first = 0, last = 0;
    std::optional<std::uint64_t> lag;
  };
  std::vector<row> rows;
  const auto selected = select_streams(set, fa);
  const auto lags = lags_of(set, selected);
  bool any_lag = false;
  for (const auto& s : selected) {
    row r;
    r.scope = s.desc.scope;
    r.name = s.desc.name;
    r.path = s.desc.path;
    r.bytes = s.desc.bytes;
    const auto before = log.count();
    auto src = set.open({s}, all, log);
    ix::record rec;
    bool any = false;
    while (src->next(rec)) {
      ++r.records;
      if (rec.flags & ix::flag_table)
        ++r.tables;
      else
        ++r.per_kind[static_cast<unsigned>(rec.kind)];
      if (!any || rec.ts_ns < r.first) r.first = rec.ts_ns;
      if (!any || rec.ts_ns > r.last) r.last = rec.ts_ns;
      any = true;
    }
    r.damaged = log.count() - before;
    if (!any) r.first = r.last = 0;
    r.lag = lags[rows.size()];
    any_lag = any_lag || r.lag;
    rows.push_back(std::move(r));
  }
  const char* kind_cols[] = {"state",  "metric",   "notification", "insight",
                             "record", "snapshot", "meta"};
  auto ts = [](const row& r, std::int64_t t) {
    return r.records ? ix::format_rfc3339(t) : std::string{};
  };
  output_sink out(oa, format, false);
  const auto& st = out.style();
  auto shown = [&](const row& r, std::int64_t t) {
    if (!r.records) return std::string{};
    return st.local_time ? ix::format_short_time(t, st.utc) : ix::format_rfc3339(t);
  };
  if (format == qout::output_format::table || format == qout::output_format::wide) {
    const bool wide = format == qout::output_format::wide;
    std::vector<std::string> head{"STREAM", "RECORDS"};
    std::vector<bool> right{false, true};
    if (wide) {
      for (auto* k : kind_cols) head.emplace_back(k), right.push_back(true);
      for (auto* k : {"table", "damaged"}) head.emplace_back(k), right.push_back(true);
    }
    head.emplace_back("BYTES"), right.push_back(true);
    if (any_lag) head.emplace_back("LAG"), right.push_back(true);
    head.emplace_back("FIRST"), right.push_back(false);
    head.emplace_back("LAST"), right.push_back(false);
    ix::detail::aligned_table t(out.file(), head, right, st.table);
    for (const auto& r : rows) {
      std::vector<std::string> c(1);
      ix::detail::append_printable(c[0], r.scope == r.name ? r.name : r.scope + "/" + r.name);
      c.push_back(std::to_string(r.records));
      if (wide) {
        for (int k = 1; k <= nk; ++k) c.push_back(std::to_string(r.per_kind[k]));
        c.push_back(std::to_string(r.tables));
        c.push_back(std::to_string(r.damaged));
      }
      c.push_back(std::to_string(r.bytes));
      if (any_lag) c.push_back(r.lag ? std::to_string(*r.lag) : "-");
      c.push_back(shown(r, r.first));
      c.push_back(shown(r, r.last));
      t.row(std::move(c), r.damaged ? ix::row_color::red : ix::row_color::none);
    }
    t.finish();
  } else if (format == qout::output_format::csv) {
    std::string s;
    if (st.table.headers) {
      s = "scope,stream,path,records";
      for (auto* k : kind_cols) s.append(",").append(k);
      s.append(",table,damaged,bytes,first,last,lag_bytes\r\n");
    }
    for (const auto& r : rows) {
      qout::append_csv_cell(s, r.scope);
      s.push_back(',');
      qout::append_csv_cell(s, r.name);
      s.push_back(',');
      qout::append_csv_cell(s, r.path);
      s.append(",").append(std::to_string(r.records));
      for (int k = 1; k <= nk; ++k) s.append(",").append(std::to_string(r.per_kind[k]));
      s.append(fmt::format(",{},{},{},{},{},{}\r\n", r.tables, r.damaged, r.bytes, ts(r, r.first),
                           ts(r, r.last), r.lag ? std::to_string(*r.lag) : std::string{}));
    }
    std::fwrite(s.data(), 1, s.size(), out.file());
  } else {
    std::string s;
    for (const auto& r : rows) {
      s.append("{\"scope\":");
      ix::append_json_string(s, r.scope);
      s.append(",\"stream\":");
      ix::append_json_string(s, r.name);
      s.append(",\"path\":");
      ix::append_json_string(s, r.path);
      s.append(fmt::format(",\"records\":{},\"kinds\":{{", r.records));
      for (int k = 1; k <= nk; ++k)
        s.append(fmt::format("{}\"{}\":{}", k > 1 ? "," : "", kind_cols[k - 1], r.per_kind[k]));
      s.append(
          fmt::format("}},\"table\":{},\"damaged\":{},\"bytes\":{}", r.tables, r.damaged, r.bytes));
      if (r.records)
        s.append(fmt::format(",\"first\":\"{}\",\"last\":\"{}\"", ts(r, r.first), ts(r, r.last)));
      if (r.lag) s.append(fmt::format(",\"lag_bytes\":{}", *r.lag));
      s.append("}\n");
    }
    std::fwrite(s.data(), 1, s.size(), out.file());
  }
  return 0;
}

}  // namespace ixcli
