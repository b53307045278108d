#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>

#include <introspect/introspect.hpp>
#include <introspect/query/expr/filter.hpp>
#include <introspect/query/read/jsonl_store.hpp>
#include <introspect/query/read/store_set.hpp>
#include "../support/temp_dir.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;

namespace {

std::atomic<std::int64_t> fake_now{1'767'225'600'000'000'000LL};
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000); }

using ix_test::temp_dir;

std::vector<ix::record> read_all(const ix::query::read::store_set& set,
                                 ix::query::read::damage_log& log,
                                 ix::query::read::read_hint hint = {}) {
  auto src = set.open(set.streams(), hint, log);
  std::vector<ix::record> out;
  ix::record r;
  while (src->next(r)) out.push_back(r);
  return out;
}

void write_store(const fs::path& dir, std::string instance, int notes, std::uint64_t file_bytes) {
  ix::config c;
  c.store = dir;
  c.instance = std::move(instance);
  c.clock = &fake_clock;
  c.file_bytes = file_bytes;
  c.files_kept = 1000;
  ix::introspection<ix::tier::tiny> ins{c};
  for (int i = 0; i < notes; ++i) {
    ins.state("container/" + std::to_string(i % 4), i % 2 ? "UP" : "RECOVERING");
    ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}, {"i", i}});
    if (i % 50 == 0) ins.flush();
  }
  ins.flush();
}

}  // namespace

TEST_CASE("tiny-tier file names give instance and sequence", "[query][jsonl]") {
  auto a = ix::query::read::parse_jsonl_file_name("node-1-00000012.jsonl");
  CHECK(a.instance == "node-1");
  CHECK(a.seq == 12);
  auto b = ix::query::read::parse_jsonl_file_name("export.jsonl");
  CHECK(b.instance == "export");
  CHECK(b.seq == -1);
}

TEST_CASE("a tiny store written by introspection<tier::tiny> reads back whole and in order",
          "[query][jsonl][tiny]") {
  temp_dir d("ix-query-store");
  write_store(d.path(), "n1", 300, 8192);  // small files: many rotations
  ix::query::read::store_set set;
  std::string error;
  REQUIRE(set.open({d.path().string()}, {}, error));
  const auto streams = set.streams();
  REQUIRE(streams.size() > 3);
  for (std::size_t i = 1; i < streams.size(); ++i)
    CHECK(streams[i - 1].desc.name < streams[i].desc.name);
  ix::query::read::damage_log log;
  const auto all = read_all(set, log);
  CHECK(log.empty());
  int notes = 0, changes = 0, tables = 0, metas = 0;
  std::int64_t last = INT64_MIN;
  for (const auto& r : all) {
    CHECK(r.ts_ns >= last);
    last = r.ts_ns;
    CHECK(r.instance == "n1");
    if (r.kind == ix::record_kind::notification) {
      const auto* i = r.find_field("i");
      REQUIRE(i);
      CHECK(std::get<std::int64_t>(*i) == notes);  // every one, in order
      ++notes;
    }
    if (r.kind == ix::record_kind::state) ++((r.flags & ix::flag_table) ? tables : changes);
    if (r.kind == ix::record_kind::meta) ++metas;
  }
  CHECK(notes == 300);
  CHECK(changes == 300);
  CHECK(tables > 0);
  CHECK(metas >= static_cast<int>(streams.size()));  // each file starts with a header

  ix::query::expr::record_filter f;
  f.only_kinds({ix::record_kind::notification});
  const auto only = read_all(set, log, f.hint());
  CHECK(only.size() == 300);
}

TEST_CASE("two instances merge by time; instance tells them apart", "[query][jsonl]") {
  temp_dir d("ix-query-merge");
  write_store(d.path(), "a", 40, 1 << 20);
  write_store(d.path(), "b", 40, 1 << 20);  // the fake clock moved on: b's records come later
  {  // a third, hand-made instance whose records fall between the others
    std::ofstream f(d.path() / "c-00000001.jsonl");
    f << R"({"ts":"2026-01-01T00:00:00.010000000Z","kind":"notification","name":"c1"})" << '\n';
  }
  ix::query::read::store_set set;
  std::string error;
  REQUIRE(set.open({d.path().string()}, {}, error));
  ix::query::read::damage_log log;
  const auto all = read_all(set, log);
  CHECK(log.empty());
  std::int64_t last = INT64_MIN;
  std::map<std::string, int> per;
  for (const auto& r : all) {
    CHECK(r.ts_ns >= last);
    last = r.ts_ns;
    if (r.kind == ix::record_kind::notification) ++per[r.instance];
  }
  CHECK(per["a"] == 40);
  CHECK(per["b"] == 40);
  CHECK(per["c"] == 1);
}

TEST_CASE("damaged lines are reported as path:line, skipped and counted", "[query][jsonl]") {
  temp_dir d("ix-query-damage");
  const auto file = d.path() / "n1-00000001.jsonl";
  {
    std::ofstream f(file, std::ios::binary);
    f << R"({"ts":"2026-01-01T00:00:00Z","kind":"notification","name":"one"})" << '\n'
      << R"({"ts":"2026-01-01T00:00:01Z","kind":"notifi)" << '\n'
      << R"({"ts":"2026-01-01T00:00:02Z","kind":"notification","name":"three"})" << '\n'
      << "\n"
      << R"({"ts":"later","kind":"notification","name":"five"})" << '\n'
      << R"({"ts":"2026-01-01T00:00:05Z","kind":"notification","name":"six"})" << '\n'
      << R"({"ts":"2026-01-01T00:00:06Z","kind":"notification","na)";  // a crash mid-write
  }
  ix::query::read::store_set set;
  std::string error;
  REQUIRE(set.open({file.string()}, {}, error));
  std::vector<std::string> printed;
  ix::query::read::damage_log log{
      [&](const ix::query::read::damage& dm) { printed.push_back(dm.to_string()); }};
  const auto all = read_all(set, log);
  REQUIRE(all.size() == 3);
  CHECK(all[0].name == "one");
  CHECK(all[1].name == "three");
  CHECK(all[2].name == "six");
  CHECK(log.count() == 4);
  REQUIRE(printed.size() == 4);
  CHECK(printed[0] == file.string() + ":2: truncated line (not valid JSON)");
  CHECK(printed[1] == file.string() + ":4: empty line");
  CHECK(printed[2] == file.string() + ":5: bad timestamp \"later\"");
  CHECK(printed[3] == file.string() + ":7: truncated last line (no newline at end of file)");
  CHECK(log.kept()[2].line == 5);
}

TEST_CASE("store_set names a missing or empty STORE", "[query][jsonl]") {
  temp_dir d("ix-query-open");
  ix::query::read::store_set set;
  std::string error;
  CHECK_FALSE(set.open({(d.path() / "nope").string()}, {}, error));
  CHECK_THAT(error, Catch::Contains("nope\": no such file or directory"));
  ix::query::read::store_set empty;
  CHECK_FALSE(empty.open({d.path().string()}, {}, error));
  CHECK_THAT(error, Catch::Contains("no introspect files"));
}
