#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <introspect/engine/key_table.hpp>
#include <introspect/introspect.hpp>

#include "../support/temp_dir.hpp"
#include "read_back.hpp"

using ix_test::temp_dir;

namespace ix = introspect;

namespace {
std::atomic<std::int64_t> sim_now{1'767'225'600'000'000'000};  // 2026-01-01T00:00:00Z
std::int64_t sim_clock() noexcept { return sim_now.fetch_add(1'000'000); }
std::atomic<std::int64_t> fixed_now{1'767'225'600'000'000'000};
std::int64_t fixed_clock() noexcept { return fixed_now.load(); }

template <class T>
void record_workload(T& ins) {
  for (int i = 0; i < 500; ++i) {
    ins.state("container/" + std::to_string(i % 4), i % 3 ? "RUNNING" : "RECOVERING");
    ins.notify(ix::severity::warning, "slow journal write", {{"ledger", i}, {"disk", "sdb"}});
    ins.count("controller.requests");
    ins.observe("journal.latency_us", 100 + i);
    ins.gauge("cache.bytes", 1000.0 * i);
  }
  ins.flush();
}

std::size_t count_kind(const std::vector<ix::record>& rs, ix::record_kind k,
                       std::string_view name = {}) {
  return static_cast<std::size_t>(std::count_if(rs.begin(), rs.end(), [&](const auto& r) {
    return r.kind == k && (name.empty() || r.name == name);
  }));
}
}  // namespace

TEST_CASE("small tier writes every record to one stream of its instance's scope",
          "[engine][small]") {
  temp_dir d;
  {
    ix::small_introspection ins{
        ix::config{.store = d.path(), .instance = "node-1", .clock = sim_clock}};
    record_workload(ins);
    CHECK(ins.stats().dropped() == 0);
  }
  std::map<std::string, std::size_t> streams;
  auto rs = read_back(d.path(), "node-1", &streams);
  REQUIRE(streams.size() == 1);
  CHECK(streams.count("all") == 1);
  CHECK(count_kind(rs, ix::record_kind::state) == 500);
  CHECK(count_kind(rs, ix::record_kind::notification) == 500);
  // Metrics are snapshots of the registry: the last counter value is the number of calls.
  std::int64_t last_count = -1;
  for (const auto& r : rs)
    if (r.kind == ix::record_kind::metric && r.name == "controller.requests")
      last_count = std::get<std::int64_t>(r.val);
  CHECK(last_count == 500);
  const ix::record* hist = nullptr;
  for (const auto& r : rs)
    if (r.name == "journal.latency_us") hist = &r;
  REQUIRE(hist);
  CHECK(hist->mtype == ix::metric_type::histogram);
  REQUIRE(hist->find_field("p50"));
  const auto p50 = std::get<std::int64_t>(*hist->find_field("p50"));
  CHECK(p50 >= 340);  // the median of 100..599 is 349.5; buckets err by at most ~3 %
  CHECK(p50 <= 360);
}

TEST_CASE("medium tier writes one stream per kind", "[engine][medium]") {
  temp_dir d;
  {
    ix::medium_introspection ins{
        ix::config{.store = d.path(), .instance = "node-2", .clock = sim_clock}};
    record_workload(ins);
  }
  std::map<std::string, std::size_t> streams;
  auto rs = read_back(d.path(), "node-2", &streams);
  CHECK(streams["state"] == 500);
  CHECK(streams["notification"] == 500);
  CHECK(streams["metric"] >= 3);
  CHECK(count_kind(rs, ix::record_kind::notification, "slow journal write") == 500);
}

TEST_CASE("the same calls give the same records whatever the mapping", "[engine][mapping]") {
  temp_dir d;
  auto run = [&](auto tag, const char* instance) {
    using T = typename decltype(tag)::type;
    // Only the product's calls move this clock: the writer thread's reads must not shift stamps.
    fixed_now = 1'767'225'600'000'000'000;
    T ins{ix::config{.store = d.path(), .instance = instance, .clock = fixed_clock}};
    for (int i = 0; i < 300; ++i) {
      fixed_now += 1'000'000;
      std::string key = "k";  // not `"k" + to_string(..)`: GCC 12 -O3 false -Wrestrict
      key += std::to_string(i % 7);
      ins.state(key, i);
      ins.notify(ix::severity::error, "boom", {{"i", i}});
    }
    ins.flush();
  };
  run(std::type_identity<ix::introspection<ix::tier::medium, ix::mapping::single_stream>>{}, "a");
  run(std::type_identity<ix::introspection<ix::tier::medium>>{}, "b");
  auto a = read_back(d.path(), "a"), b = read_back(d.path(), "b");
  auto key = [](const std::vector<ix::record>& rs) {
    std::vector<std::tuple<std::int64_t, int, std::string, std::string>> k;
    for (const auto& r : rs)
      if (r.kind != ix::record_kind::metric)
        k.emplace_back(
            r.ts_ns, static_cast<int>(r.kind), r.name,
            r.fields.empty() ? "" : std::to_string(std::get<std::int64_t>(r.fields[0].val)));
    std::sort(k.begin(), k.end());
    return k;
  };
  REQUIRE(key(a).size() == 600);
  CHECK(key(a) == key(b));
}

TEST_CASE("the state table survives a restart as store metadata", "[engine][checkpoint]") {
  temp_dir d;
  {
    ix::small_introspection ins{ix::config{.store = d.path(), .instance = "n"}};
    ins.state("container/1", "RUNNING");
    ins.state("container/2", "FAILED");
    ins.flush();
  }
  {  // a second run that sets nothing still saves the table it restored
    ix::small_introspection ins{ix::config{.store = d.path(), .instance = "n"}};
    ins.state("container/3", "STARTING");
    ins.flush();
  }
  ix::store::reader rd(d.path());
  auto meta = rd.get_meta("n", ix::state_table_meta);
  REQUIRE(meta);
  std::string blob(reinterpret_cast<const char*>(meta->data()), meta->size());
  ix::state_table t;
  REQUIRE(ix::decode_state_table(blob, t));
  REQUIRE(t.size() == 3);
  CHECK(std::get<std::string>(t.entries().at("container/2").val) == "FAILED");
}

TEST_CASE("an unusable store never reaches the product: counted, reported, no exception",
          "[engine][errors]") {
  temp_dir d;
  const auto file = d.path() / "not-a-dir";
  std::ofstream(file) << "x";
  ix::small_introspection ins{
      ix::config{.store = file / "store", .instance = "n", .on_error = ix::ignore_errors}};
  for (int i = 0; i < 100; ++i) ins.notify(ix::severity::info, "still running");
  ins.flush();
  CHECK(ins.stats().write_errors >= 1);
  CHECK(ins.stats().records == 100);
}

TEST_CASE("medium tier collects the process and host sources at its cadence", "[engine][sources]") {
  temp_dir d;
  {
    ix::medium_introspection ins{ix::config{.store = d.path(), .instance = "n"}};
    ins.state("k", 1);
    ins.flush();  // a flush runs the period's work, sources included
  }
  auto rs = read_back(d.path(), "n");
  auto has = [&](std::string_view src, std::string_view name) {
    return std::any_of(rs.begin(), rs.end(), [&](const auto& r) {
      return r.kind == ix::record_kind::metric && r.source == src && r.name == name;
    });
  };
  CHECK(has("process", "process.rss_bytes"));
  CHECK(has("process", "process.threads"));
  CHECK(has("host", "host.load1"));
  CHECK(has("host", "host.fs.used_bytes"));
}

TEST_CASE("a failing source is recorded as a notification and never stops the others",
          "[engine][sources]") {
  temp_dir d;
  {
    ix::medium_introspection ins{ix::config{
        .store = d.path(), .instance = "n", .proc_root = (d.path() / "no-proc").string()}};
    ins.notify(ix::severity::info, "product still records");
    ins.flush();
  }
  auto rs = read_back(d.path(), "n");
  std::size_t failing = 0, product = 0;
  for (const auto& r : rs) {
    if (r.kind == ix::record_kind::notification && r.name == "introspect source failing") ++failing;
    if (r.name == "product still records") ++product;
  }
  CHECK(failing >= 2);  // process and host parts, each reported once
  CHECK(product == 1);
  CHECK(std::any_of(rs.begin(), rs.end(),
                    [](const auto& r) { return r.name == "host.fs.used_bytes"; }));
}

TEST_CASE("cadence::on_demand collects only when the product asks", "[engine][sources]") {
  temp_dir d;
  using T = ix::introspection<ix::tier::medium, ix::cadence::on_demand>;
  {
    T ins{ix::config{.store = d.path(), .instance = "a"}};
    ins.flush();
  }
  {
    T ins{ix::config{.store = d.path(), .instance = "b"}};
    ins.collect();
    ins.flush();
  }
  auto count_rss = [&](const char* inst) {
    auto rs = read_back(d.path(), inst);
    return std::count_if(rs.begin(), rs.end(),
                         [](const auto& r) { return r.name == "process.rss_bytes"; });
  };
  CHECK(count_rss("a") == 0);
  CHECK(count_rss("b") == 1);
}

TEST_CASE("each store tier sizes its event queue; config::queue_slots overrides it",
          "[engine][queue]") {
  temp_dir d;
  // A slot's stride in the ring: the slot, its sequence word, padded to whole cache lines.
  constexpr auto stride = ix::small_introspection::engine_type::queue_type::slot_stride();
  const auto cfg = [&](std::size_t slots) {
    return ix::config{.store = d.path(), .instance = "q", .queue_slots = slots};
  };
  {
    ix::small_introspection ins{cfg(0)};
    CHECK(ins.engine().queue_capacity() == 1024);
    // The small tier's queue, sequence words and padding included, fits the 512 KiB it may
    // take up front.
    CHECK(ins.engine().queue_capacity() * stride <= 512 * 1024);
  }
  {
    ix::medium_introspection ins{cfg(0)};
    CHECK(ins.engine().queue_capacity() == 16384);
  }
  {
    ix::large_introspection ins{cfg(0)};
    CHECK(ins.engine().queue_capacity() == 32768);
  }
  {
    ix::small_introspection ins{cfg(100)};
    CHECK(ins.engine().queue_capacity() == 128);
  }
}

TEST_CASE("records reach the files at the writer's own tick, with no flush and no wake-up",
          "[engine][tick]") {
  temp_dir d;
  ix::large_introspection ins{ix::config{.store = d.path(), .instance = "t"}};
  ins.notify(ix::severity::info, "written without a flush", {{"n", 1}});
  // The product never calls flush() or tick(): the continuous writer drains at its own tick
  // (10 ms) and writes what it drained, so the record shows in the files soon after.
  bool found = false;
  const auto t0 = std::chrono::steady_clock::now();
  while (!found && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!std::filesystem::exists(d.path() / "t")) continue;
    for (const auto& r : read_back(d.path(), "t"))
      found = found || r.name == "written without a flush";
  }
  CHECK(found);
}

TEST_CASE("past the keys the writer interns, states and records are still right",
          "[engine][keys]") {
  temp_dir d;
  constexpr int keys = 5000;  // the writer interns 4 096
  {
    ix::small_introspection ins{ix::config{.store = d.path(), .instance = "k"}};
    for (int round = 0; round < 2; ++round)
      for (int i = 0; i < keys; ++i) {
        std::string key = "container/";
        key += std::to_string(i);
        ins.state(key, round * keys + i);
        if (i % 500 == 0) ins.flush();
      }
    ins.flush();
    CHECK(ins.stats().dropped() == 0);
  }
  ix::store::reader rd(d.path());
  auto meta = rd.get_meta("k", ix::state_table_meta);
  REQUIRE(meta);
  std::string blob(reinterpret_cast<const char*>(meta->data()), meta->size());
  ix::state_table t;
  REQUIRE(ix::decode_state_table(blob, t));
  REQUIRE(t.size() == keys);
  CHECK(std::get<std::int64_t>(t.entries().at("container/0").val) == keys);
  CHECK(std::get<std::int64_t>(t.entries().at("container/4999").val) == 2 * keys - 1);
  CHECK(count_kind(read_back(d.path(), "k"), ix::record_kind::state) >= 2 * keys);
}

TEST_CASE("sealed segments are compacted by the store's own thread, beside the writer's",
          "[engine][medium][compactor]") {
  temp_dir d;
  auto compactors = [] {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream f(e.path() / "comm");
      std::string comm;
      std::getline(f, comm);
      n += comm == "ix-compactor";
    }
    return n;
  };
  using T = ix::introspection<ix::tier::medium, ix::segment<4096>>;
  {
    T ins{ix::config{.store = d.path(), .instance = "node-c", .clock = sim_clock}};
    for (int i = 0; i < 400; ++i)
      ins.notify(ix::severity::warning, "slow journal write", {{"ledger", i}, {"disk", "sdb"}});
    ins.flush();  // the writer sealed segments and handed them to the store's compactor
    CHECK(compactors() == 1);
  }
  CHECK(compactors() == 0);  // stopped with the store
  std::map<std::string, std::size_t> streams;
  auto rs = read_back(d.path(), "node-c", &streams);
  CHECK(count_kind(rs, ix::record_kind::notification, "slow journal write") == 400);
  std::size_t logs = 0;
  for (auto& e : std::filesystem::directory_iterator(d / "node-c/notification"))
    logs += e.path().extension() == ".log";
  CHECK(logs > 3);  // several sealed segments, compacted or left raw: read back alike
}

TEST_CASE("the writer's key table: the last key's cache never confuses kinds or keys",
          "[engine][keys]") {
  ix::key_table<int> t(3);
  int made = 0;
  auto add = [&](std::uint8_t kind, std::string_view key) {
    int* v = t.find_or_add(kind, key, [&] { return ++made; });
    return v ? *v : -1;
  };
  CHECK(add(1,
            "\x01"
            "a\x04"
            "disk") == 1);
  CHECK(add(1,
            "\x01"
            "a\x04"
            "disk") == 1);  // the last key again
  CHECK(add(2,
            "\x01"
            "a\x04"
            "disk") == 2);  // the same bytes, another kind
  CHECK(add(1,
            "\x01"
            "a\x04"
            "disk") == 1);
  CHECK(add(1,
            "\x01"
            "a\x04"
            "disc") == 3);  // the same length, one byte apart
  CHECK(add(1,
            "\x01"
            "b\x04"
            "disk") == -1);  // past max_keys: the caller's slow path
  CHECK(add(1,
            "\x01"
            "a\x04"
            "disc") == 3);
  CHECK(add(2,
            "\x01"
            "a\x04"
            "disk") == 2);
  // Keys of every length around the compare's 4- and 8-byte steps.
  ix::key_table<std::size_t> u;
  std::string base(40, 'k');
  for (std::size_t n = 0; n <= base.size(); ++n)
    CHECK(*u.find_or_add(0, std::string_view(base).substr(0, n), [&] { return n; }) == n);
  for (std::size_t n = base.size() + 1; n-- > 0;) {
    std::string k = base.substr(0, n);
    if (n) k[n / 2] = 'x';  // a key of the same length that differs in the middle
    CHECK(*u.find_or_add(0, std::string_view(base).substr(0, n), [] { return std::size_t{999}; }) ==
          n);
    if (n) CHECK(*u.find_or_add(0, k, [&] { return 1000 + n; }) == 1000 + n);
  }
  CHECK(u.size() == 2 * base.size() + 1);
}
