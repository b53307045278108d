#pragma once
// Helpers for the demo product's tests: run the built binary, read its JSON-lines files back.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <introspect/core/clock.hpp>
#include <introspect/format/rfc3339.hpp>
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

namespace demo_test {

namespace fs = std::filesystem;

using ix_test::sh_quote;
using ix_test::temp_dir;

inline const std::string demo_bin = INTROSPECT_TEST_BIN_DIR "/demo_product";
//! 2026-01-01T00:00:00Z, where the demo's simulated clock starts.
inline constexpr std::int64_t epoch_ns = 1'767'225'600LL * 1'000'000'000;
inline constexpr std::int64_t ms = 1'000'000;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

//! What a run of a command left: its exit code, its stdout and its stderr.
struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

//! Runs a shell command line with stdout and stderr captured in files of `scratch`.
inline run_result run_shell(const std::string& cmdline, const fs::path& scratch) {
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string full =
      cmdline + " > " + sh_quote(out.string()) + " 2> " + sh_quote(err.string());
  const int status = std::system(full.c_str());
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

//! Runs demo_product with `args` (already split into words).
inline run_result run_demo(const std::vector<std::string>& args, const fs::path& scratch) {
  std::string cmd = sh_quote(demo_bin);
  for (const auto& a : args) {
    // Two appends, not `" " + sh_quote(a)`: GCC 12 at -O3 reports a false -Wrestrict on the
    // temporary's memcpy.
    cmd += ' ';
    cmd += sh_quote(a);
  }
  return run_shell(cmd, scratch);
}

//! The `*.jsonl` files of a directory, sorted by name (rotation order).
inline std::vector<fs::path> jsonl_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && it->path().extension() == ".jsonl") out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

//! One line of a tiny-tier file, decoded.
struct line {
  std::string raw;
  std::string file;
  std::size_t line_no = 0;  //!< 1-based within its file
  std::string ts, kind, instance, source, name, severity, value;
  std::int64_t ts_ns = 0;
  bool table = false;
  std::map<std::string, std::string> fields;  //!< strings as is, other values as JSON text

  //! True for a record the product made (not a file header, drop count or table line).
  bool product() const { return source == "product" && !table; }
  std::string field(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? std::string{} : it->second;
  }
};

inline std::string as_text(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string{s};
  return simdjson::minify(e);
}

//! Every line of every `*.jsonl` file in `dir`, in file order; throws on a line that is not JSON.
inline std::vector<line> read_lines(const fs::path& dir) {
  std::vector<line> out;
  simdjson::dom::parser parser;
  for (const auto& f : jsonl_files(dir)) {
    const std::string all = read_file(f);
    std::size_t pos = 0, no = 0;
    while (pos < all.size()) {
      auto nl = all.find('\n', pos);
      if (nl == std::string::npos)
        throw std::runtime_error(f.string() + ": last line has no newline");
      line l;
      l.raw = all.substr(pos, nl - pos);
      l.file = f.filename().string();
      l.line_no = ++no;
      pos = nl + 1;
      simdjson::dom::element doc;
      if (parser.parse(l.raw).get(doc) != simdjson::SUCCESS)
        throw std::runtime_error(l.file + ":" + std::to_string(no) + ": not JSON: " + l.raw);
      const auto str = [&](const char* key) {
        simdjson::dom::element e;
        return doc[key].get(e) == simdjson::SUCCESS ? as_text(e) : std::string{};
      };
      l.ts = str("ts");
      l.kind = str("kind");
      l.instance = str("instance");
      l.source = str("source");
      l.name = str("name");
      l.severity = str("severity");
      l.value = str("value");
      bool table = false;
      l.table = doc["table"].get(table) == simdjson::SUCCESS && table;
      simdjson::dom::object fields;
      if (doc["fields"].get(fields) == simdjson::SUCCESS)
        for (auto [k, v] : fields) l.fields[std::string{k}] = as_text(v);
      l.ts_ns = introspect::parse_rfc3339(l.ts).value_or(-1);
      out.push_back(std::move(l));
    }
  }
  return out;
}

//! The number after `key=` in the demo's summary line, and whether "(compiled-out)" follows.
struct summary_count {
  std::int64_t n = -1;
  bool compiled_out = false;
};
inline summary_count summary_value(const std::string& summary, const std::string& key) {
  std::smatch m;
  const std::regex re{"(^| )" + key + "=([0-9]+)(\\(compiled-out\\))?( |$)"};
  if (!std::regex_search(summary, m, re)) return {};
  return {std::stoll(m[2].str()), m[3].matched};
}

//! The text after `key=` in the summary line, up to the next space.
inline std::string summary_text(const std::string& summary, const std::string& key) {
  std::smatch m;
  const std::regex re{"(^| )" + key + "=([^ \n]*)"};
  return std::regex_search(summary, m, re) ? m[2].str() : std::string{};
}

}  // namespace demo_test
