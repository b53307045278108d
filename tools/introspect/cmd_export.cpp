// introspect export: the matching records to a file as jsonl, csv, an SQLite database or the
// Prometheus text exposition of the latest metric values.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <introspect/core/clock.hpp>
#include <introspect/export/prometheus.hpp>
#include <introspect/sql/loader.hpp>

#include "common.hpp"
#include "sql_load.hpp"

namespace ixcli {

namespace {

int export_sqlite(const filter_args& fa, const std::string& out) {
  if (out == "-") throw usage_error{"-o \"-\": an SQLite database needs a file name"};
  const auto f = sql_filter(fa, ix::realtime_ns());
  std::error_code ec;
  std::filesystem::remove(out, ec);  // a fresh database, as the other formats overwrite
  std::uint64_t n = 0;
  try {
    introspect::sql::database db(out);
    n = load_into(db, fa, f, "export");
  } catch (const introspect::sql::sql_error& e) {
    throw usage_error{"-o \"" + out + "\": " + e.what()};
  }
  std::fprintf(stderr, "introspect: exported %llu records to %s\n",
               static_cast<unsigned long long>(n), out.c_str());
  return 0;
}

int export_prom(const filter_args& fa, const std::string& out) {
  auto f = make_filter(fa, ix::realtime_ns());
  f.kinds &= 1u << static_cast<unsigned>(ix::record_kind::metric);  // only metrics have values
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  auto src = set.open(streams, f.hint(), log);
  introspect::exporters::prometheus_exporter prom;
  progress prog("export");
  std::uint64_t seen = 0, n = 0;
  ix::record r;
  while (src->next(r)) {
    prog.tick(++seen);
    if (!f.matches(r)) continue;
    prom.add(r);
    ++n;
  }
  const auto text = prom.text();
  std::FILE* file = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (!file) throw usage_error{"-o \"" + out + "\": cannot create: " + std::strerror(errno)};
  std::fwrite(text.data(), 1, text.size(), file);
  if (file != stdout) {
    if (std::fclose(file) != 0)
      throw usage_error{"-o \"" + out + "\": cannot write: " + std::strerror(errno)};
    std::fprintf(stderr, "introspect: exported the latest of %llu metric records to %s\n",
                 static_cast<unsigned long long>(n), out.c_str());
  }
  return 0;
}

}  // namespace

int cmd_export(const filter_args& fa, const std::string& fmt_name, const std::string& out) {
  if (fmt_name == "sqlite") return export_sqlite(fa, out);
  if (fmt_name == "prom" || fmt_name == "prometheus") return export_prom(fa, out);
  auto format = ix::parse_output_format(fmt_name);
  if (!format || *format == ix::output_format::table)
    throw usage_error{"--format \"" + fmt_name +
                      "\": unknown format (use jsonl, csv, sqlite or prom)"};
  const auto filter = make_filter(fa, ix::realtime_ns());
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  std::FILE* f = out == "-" ? stdout : std::fopen(out.c_str(), "wb");
  if (!f) throw usage_error{"-o \"" + out + "\": cannot create: " + std::strerror(errno)};
  auto log = make_damage_log();
  auto src = set.open(streams, filter.hint(), log);
  progress prog("export");
  std::uint64_t seen = 0, written = 0;
  {
    auto w = ix::make_record_writer(*format, f);
    ix::record r;
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r)) continue;
      w->write(r);
      ++written;
    }
    w->finish();
  }
  if (f != stdout) {
    if (std::fclose(f) != 0)
      throw usage_error{"-o \"" + out + "\": cannot write: " + std::strerror(errno)};
    std::fprintf(stderr, "introspect: exported %llu records to %s\n",
                 static_cast<unsigned long long>(written), out.c_str());
  }
  return 0;
}

}  // namespace ixcli
