#pragma once
// The scenario test's machinery: run demo_product as a subprocess, read its store back with the
// query layer's readers, replay the insight engine over it, and score the insights against the
// injected fault.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <introspect/codec/binary.hpp>
#include <introspect/core/record.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/replay.hpp>
#include <introspect/insight/rules_file.hpp>
#include <introspect/query/read/jsonl_store.hpp>
#include <introspect/query/read/merge_cursor.hpp>
#include <introspect/query/read/record_cursor.hpp>
#include <introspect/store/reader.hpp>
#include "../support/files.hpp"
#include "../support/temp_dir.hpp"

namespace scenario_test {

namespace fs = std::filesystem;
namespace ix = introspect;
namespace ins = introspect::insight;

using ix_test::sh_quote;
using ix_test::temp_dir;

inline const std::string demo_bin = INTROSPECT_TEST_BIN_DIR "/demo_product";
inline const std::string rules_path = INTROSPECT_SOURCE_DIR "/tests/scenarios/scenario_rules.json";
inline constexpr std::int64_t ms = 1'000'000;
inline constexpr std::int64_t s = 1'000 * ms;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The medium engine writes its state checkpoint with fsync at every period, and a seeded run
// stops at each of its 1 800 simulated periods: on a tmpfs that costs nothing, on a disk ~20 s
// per run. The stores are scratch data, so they go to /dev/shm when there is one.
inline fs::path scratch_root() {
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path();
}

//! One seeded run to make: which tier, which fault, how long.
struct run_spec {
  std::string tier;
  std::string scenario;
  int seed = 1;
  std::int64_t events = 0;
};

//! What the demo said about its run.
struct demo_run {
  int exit_code = -1;
  std::string summary;  // its stderr
  std::optional<std::int64_t> fault_onset, fault_end;
};

inline std::optional<std::int64_t> summary_time(const std::string& summary,
                                                const std::string& key) {
  std::smatch m;
  const std::regex re{"(^| )" + key + "=([^ \n]*)"};
  if (!std::regex_search(summary, m, re)) return std::nullopt;
  return ix::parse_rfc3339(m[2].str());
}

//! Runs demo_product for `spec` with its store at `store`.
inline demo_run run_demo(const run_spec& spec, const fs::path& store, const fs::path& scratch) {
  const auto err = scratch / "stderr.txt";
  const std::string cmd = sh_quote(demo_bin) + " --tier " + spec.tier + " --store " +
                          sh_quote(store.string()) + " --seed " + std::to_string(spec.seed) +
                          " --events " + std::to_string(spec.events) + " --scenario " +
                          spec.scenario + " > /dev/null 2> " + sh_quote(err.string());
  const int status = std::system(cmd.c_str());
  demo_run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.summary = read_text(err);
  r.fault_onset = summary_time(r.summary, "fault_onset");
  r.fault_end = summary_time(r.summary, "fault_end");
  return r;
}

//! One stream of a stream store as a record source: frames decoded with the binary codec.
class stream_store_source final : public ix::query::read::record_cursor {
 public:
  stream_store_source(const ix::store::reader& rd, std::string scope, const std::string& stream,
                      std::uint64_t& undecodable)
      : cursor_(rd.open(scope, stream)), scope_(std::move(scope)), undecodable_(undecodable) {}

  bool next(ix::record& out) override {
    ix::store::frame_view v;
    while (cursor_.next(v)) {
      if (!ix::codec::decode(v.text(), out)) {
        ++undecodable_;
        continue;
      }
      out.ts_ns = v.ts_ns;
      out.kind = static_cast<ix::record_kind>(v.kind);
      out.instance = scope_;
      return true;
    }
    return false;
  }

 private:
  ix::store::cursor cursor_;
  std::string scope_;
  std::uint64_t& undecodable_;
};

//! A tiny-tier store's view together with the store it reads from.
class jsonl_view final : public ix::query::read::record_cursor {
 public:
  jsonl_view(const fs::path& dir, ix::query::read::damage_log& log)
      : store_(std::make_unique<ix::query::read::jsonl_store>(std::vector<fs::path>{dir})),
        src_(store_->open(store_->streams(), ix::query::read::read_hint{}, log)) {}
  bool next(ix::record& out) override { return src_->next(out); }

 private:
  std::unique_ptr<ix::query::read::jsonl_store> store_;
  std::unique_ptr<ix::query::read::record_cursor> src_;
};

//! Every record of a store (a stream-store root or a directory of tiny-tier files), in time
//! order across streams and instances.
inline std::unique_ptr<ix::query::read::record_cursor> open_store(const fs::path& root,
                                                                  ix::query::read::damage_log& log,
                                                                  std::uint64_t& undecodable) {
  std::vector<std::unique_ptr<ix::query::read::record_cursor>> inputs;
  const ix::store::reader rd{root};
  for (const auto& scope : rd.scopes())
    for (const auto& stream : rd.stream_names(scope))
      inputs.push_back(std::make_unique<stream_store_source>(rd, scope, stream, undecodable));
  if (!inputs.empty()) return ix::query::read::merge_all(std::move(inputs));
  if (!ix::query::read::has_jsonl_files(root))
    throw std::runtime_error(root.string() + ": no store");
  return std::make_unique<jsonl_view>(root, log);
}

//! One insight episode: its open record, and its end if a closed record followed.
struct episode {
  std::string rule;     // the rule instance's name ("disk-full")
  std::string type;     // the rule type ("exhaustion")
  std::string subject;  // "disk.sdb.used_bytes"
  std::int64_t number = 0;
  std::int64_t onset = 0;
  std::optional<std::int64_t> end;
  std::int64_t emitted = 0;  // the evaluation that opened it
  std::string message;
};

inline std::string text_field(const ix::record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}
inline std::int64_t int_field(const ix::record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  return v && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : -1;
}

//! The rules of the scenarios, parsed once (throws with the parser's errors).
inline const ins::config<ins::all_rules>& scenario_rules() {
  static const auto cfg = [] {
    auto parsed = ins::parse_rules<ins::all_rules>(read_text(rules_path));
    if (!parsed.ok()) throw std::runtime_error(rules_path + ":\n" + parsed.error_text());
    return parsed.cfg;
  }();
  return cfg;
}

//! What the offline engine concluded about one store.
struct replay_result {
  std::vector<episode> episodes;  // in the order they opened
  std::uint64_t records = 0, damaged = 0, undecodable = 0;
  std::vector<std::string> diagnostics;
};

//! Replays `cfg` over every record of the store at `root`, as `introspect insights` would.
inline replay_result replay_store(const fs::path& root, const ins::config<ins::all_rules>& cfg) {
  replay_result out;
  ix::query::read::damage_log log{[&](const ix::query::read::damage&) { ++out.damaged; }};
  auto src = open_store(root, log, out.undecodable);
  ins::full_engine eng{cfg};
  ins::replay<ins::full_engine> rp{eng};
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::size_t> index;
  auto emit = [&](const ix::record& r) {
    const auto key = std::tuple{r.name, text_field(r, "subject"), int_field(r, "episode")};
    const auto state = text_field(r, "state");
    if (state == "open") {
      index[key] = out.episodes.size();
      out.episodes.push_back({r.name, text_field(r, "rule"), std::get<1>(key), std::get<2>(key),
                              int_field(r, "onset"), std::nullopt, r.ts_ns,
                              text_field(r, "message")});
    } else if (state == "closed") {
      if (auto it = index.find(key); it != index.end())
        out.episodes[it->second].end = int_field(r, "end");
    }
  };
  ix::record r;
  while (src->next(r)) {
    if (r.kind == ix::record_kind::insight) continue;  // conclusions are not evidence
    ++out.records;
    rp.observe(r, emit);
  }
  rp.finish(emit);
  for (const auto& d : eng.diagnostics()) out.diagnostics.push_back(d.message);
  return out;
}

}  // namespace scenario_test
