// introspect export: the matching records as jsonl, csv, an SQLite database, the Prometheus text
// exposition of the latest metric values, or OpenMetrics of the whole metric history. Without
// -o the text formats go to stdout; without --format the output file's extension decides.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include <introspect/core/clock.hpp>
#include <introspect/export/openmetrics.hpp>
#include <introspect/export/prometheus.hpp>
#include <introspect/sql/loader.hpp>

#include "common.hpp"
#include "sql_load.hpp"

namespace ixcli {

namespace {

// Exports are created 0640 less the umask, like the store's own files: records can hold
// hostnames, paths and messages that other local users need not read.
constexpr mode_t export_mode = 0640;

std::FILE* open_output(const std::string& out) {
  if (out == "-") return stdout;
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, export_mode);
  std::FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "wb");
  if (!f) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    throw usage_error{"-o \"" + out + "\": cannot create: " + std::strerror(err)};
  }
  return f;
}

void close_output(std::FILE* f, const std::string& out) {
  if (f == stdout) {
    if (std::fflush(stdout) != 0)
      throw usage_error{"stdout: cannot write: " + std::string{std::strerror(errno)}};
    return;
  }
  if (std::ferror(f) || std::fclose(f) != 0)
    throw usage_error{"-o \"" + out + "\": cannot write: " + std::strerror(errno)};
}

// The format a file name implies, or "" when its extension names none.
std::string format_of_extension(const std::string& out) {
  auto ext = std::filesystem::path(out).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jsonl" || ext == ".ndjson") return "jsonl";
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  if (ext == ".sqlite" || ext == ".sqlite3" || ext == ".db") return "sqlite";
  if (ext == ".prom") return "prom";
  if (ext == ".om" || ext == ".openmetrics") return "openmetrics";
  return "";
}

int export_sqlite(const filter_args& fa, const std::string& out) {
  if (out == "-") throw usage_error{"--format sqlite: an SQLite database needs a file (-o FILE)"};
  const auto f = sql_filter(fa, ix::realtime_ns());
  std::error_code ec;
  std::filesystem::remove(out, ec);  // a fresh database, as the other formats overwrite
  // SQLite creates its files 0644; an empty file made here first gives the database (and its
  // journal, which SQLite creates with the database's mode) 0640 less the umask.
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, export_mode);
  if (fd < 0) throw usage_error{"-o \"" + out + "\": cannot create: " + std::strerror(errno)};
  ::close(fd);
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

// Runs `add(record)` for every matching metric record.
template <class Add>
std::uint64_t each_metric(const filter_args& fa, Add&& add) {
  auto f = make_filter(fa, ix::realtime_ns());
  f.kinds &= 1u << static_cast<unsigned>(ix::record_kind::metric);  // only metrics have values
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  auto log = make_damage_log();
  auto src = set.open(streams, f.hint(), log);
  progress prog("export");
  std::uint64_t seen = 0, n = 0;
  ix::record r;
  while (src->next(r)) {
    prog.tick(++seen);
    if (!f.matches(r)) continue;
    add(r);
    ++n;
  }
  return n;
}

int export_prom(const filter_args& fa, const std::string& out) {
  introspect::exporters::prometheus_exporter prom;
  const auto n = each_metric(fa, [&](const ix::record& r) { prom.add(r); });
  const auto text = prom.text();
  std::FILE* file = open_output(out);
  std::fwrite(text.data(), 1, text.size(), file);
  close_output(file, out);
  if (file != stdout)
    std::fprintf(stderr, "introspect: exported the latest of %llu metric records to %s\n",
                 static_cast<unsigned long long>(n), out.c_str());
  return 0;
}

int export_openmetrics(const filter_args& fa, const std::string& out) {
  introspect::exporters::openmetrics_history om;
  const auto n = each_metric(fa, [&](const ix::record& r) { om.add(r); });
  std::FILE* file = open_output(out);
  om.write([&](std::string_view s) { std::fwrite(s.data(), 1, s.size(), file); });
  close_output(file, out);
  if (file != stdout)
    std::fprintf(stderr, "introspect: exported %llu metric records to %s\n",
                 static_cast<unsigned long long>(n), out.c_str());
  return 0;
}

}  // namespace

int cmd_export(const filter_args& fa, const std::string& fmt_arg, const std::string& out_arg) {
  const std::string out = out_arg.empty() ? "-" : out_arg;
  std::string fmt_name = fmt_arg;
  if (fmt_name.empty()) {
    if (out == "-")
      throw usage_error{"--format: needed when writing to stdout (jsonl, csv, prom, openmetrics)"};
    fmt_name = format_of_extension(out);
    if (fmt_name.empty())
      throw usage_error{"-o \"" + out +
                        "\": cannot tell the format from the extension; give --format (jsonl, "
                        "csv, sqlite, prom or openmetrics) or use .jsonl, .csv, .sqlite, .prom, "
                        ".om"};
  }
  if (fmt_name == "sqlite") return export_sqlite(fa, out);
  if (fmt_name == "prom" || fmt_name == "prometheus") return export_prom(fa, out);
  if (fmt_name == "openmetrics" || fmt_name == "om") return export_openmetrics(fa, out);
  auto format = qout::parse_output_format(fmt_name);
  if (!format || *format == qout::output_format::table || *format == qout::output_format::wide)
    throw usage_error{"--format \"" + fmt_name +
                      "\": unknown format (use jsonl, csv, sqlite, prom or openmetrics)"};
  const auto filter = make_filter(fa, ix::realtime_ns());
  auto set = open_stores(fa.stores);
  const auto streams = select_streams(set, fa);
  std::FILE* f = open_output(out);
  auto log = make_damage_log();
  auto src = set.open(streams, filter.hint(), log);
  progress prog("export");
  std::uint64_t seen = 0, written = 0;
  {
    auto w = qout::make_writer(*format, f);
    ix::record r;
    while (src->next(r)) {
      prog.tick(++seen);
      if (!filter.matches(r)) continue;
      w->write(r);
      ++written;
    }
    w->finish();
  }
  close_output(f, out);
  if (f != stdout)
    std::fprintf(stderr, "introspect: exported %llu records to %s\n",
                 static_cast<unsigned long long>(written), out.c_str());
  return 0;
}

}  // namespace ixcli
