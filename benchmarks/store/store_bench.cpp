// Stream store benchmarks, side by side with SQLite and spdlog writing the same 100-byte records.
// Files go to $INTROSPECT_BENCH_DIR (default /tmp).
#include <benchmark/benchmark.h>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#ifdef INTROSPECT_BENCH_SQLITE
#include <sqlite3.h>
#endif
#ifdef INTROSPECT_BENCH_SPDLOG
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#endif

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

fs::path bench_dir(const std::string& name) {
  const char* base = std::getenv("INTROSPECT_BENCH_DIR");
  auto p = fs::path(base ? base : "/tmp") / ("ix-store-bench-" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

const std::string& payload100() {
  static const std::string p = [] {
    std::string s(100, 'x');
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
  }();
  return p;
}

void append_bench(benchmark::State& state, st::durability dur, std::int64_t tick_every) {
  auto dir = bench_dir("append");
  {
    st::writer_options wo;
    wo.durability = dur;
    if (const char* b = std::getenv("INTROSPECT_BENCH_BUFFER"))
      wo.buffer_bytes = std::strtoul(b, nullptr, 10);
    st::writer w(dir, "node", wo);
    auto s = w.stream("all");
    std::int64_t ts = 0;
    for (auto _ : state) {
      benchmark::DoNotOptimize(w.append(s, ++ts, 1, payload100()));
      if (tick_every && ts % tick_every == 0) w.tick();
    }
    w.tick();
    state.counters["dropped"] = static_cast<double>(w.stats().dropped_records);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 100);
  fs::remove_all(dir);
}

}  // namespace

static void BM_store_append_none(benchmark::State& s) {
  append_bench(s, st::durability::none(), 0);
}
// on_tick: a tick (write + fdatasync) every 100k records, i.e. ~50 ms at the target rate.
static void BM_store_append_on_tick(benchmark::State& s) {
  append_bench(s, st::durability::on_tick(), 100000);
}
static void BM_store_append_every_1000(benchmark::State& s) {
  append_bench(s, st::durability::every(1000), 0);
}
static void BM_store_append_per_record(benchmark::State& s) {
  append_bench(s, st::durability::per_record(), 0);
}
BENCHMARK(BM_store_append_none);
BENCHMARK(BM_store_append_on_tick);
BENCHMARK(BM_store_append_every_1000);
BENCHMARK(BM_store_append_per_record)->Iterations(200);

#ifdef INTROSPECT_BENCH_SQLITE
static void BM_sqlite_insert_wal_one_txn(benchmark::State& state) {
  auto dir = bench_dir("sqlite");
  sqlite3* db = nullptr;
  sqlite3_open((dir / "bench.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
               nullptr);
  sqlite3_exec(db, "CREATE TABLE r(ts INTEGER, kind INTEGER, payload BLOB)", nullptr, nullptr,
               nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO r VALUES(?,?,?)", -1, &ins, nullptr);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  std::int64_t ts = 0;
  for (auto _ : state) {
    sqlite3_bind_int64(ins, 1, ++ts);
    sqlite3_bind_int(ins, 2, 1);
    sqlite3_bind_blob(ins, 3, payload100().data(), 100, SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
  fs::remove_all(dir);
}
BENCHMARK(BM_sqlite_insert_wal_one_txn);
#endif

#ifdef INTROSPECT_BENCH_SPDLOG
static void BM_spdlog_basic_file_sink_st(benchmark::State& state) {
  auto dir = bench_dir("spdlog");
  {
    auto sink =
        std::make_shared<spdlog::sinks::basic_file_sink_st>((dir / "log.txt").string(), true);
    spdlog::logger log("bench", sink);
    log.set_pattern("%v");
    for (auto _ : state) log.info(payload100());
    log.flush();
  }
  state.SetItemsProcessed(state.iterations());
  fs::remove_all(dir);
}
BENCHMARK(BM_spdlog_basic_file_sink_st);
#endif

// A store of ~1 GB (16 segments of 64 MiB) built once; recovery = open writer + open stream.
namespace {
const fs::path& big_store() {
  static const fs::path dir = [] {
    auto d = bench_dir("big");
    st::writer w(d, "node");
    auto s = w.stream("all");
    std::string p(1000, 'z');
    const std::int64_t n = (std::int64_t{1} << 30) / 1020;
    for (std::int64_t i = 0; i < n; ++i) w.append(s, i, 1, p);
    w.sync();
    return d;
  }();
  return dir;
}
}  // namespace

static void BM_store_recovery_1GB(benchmark::State& state) {
  const auto& d = big_store();
  for (auto _ : state) {
    st::writer w(d, "node");
    auto s = w.stream("all");
    benchmark::DoNotOptimize(w.end_offset(s));
  }
}
BENCHMARK(BM_store_recovery_1GB)->Unit(benchmark::kMillisecond)->Iterations(5);

static void BM_store_sequential_read_1GB(benchmark::State& state) {
  const auto& d = big_store();
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    st::reader r(d);
    auto c = r.open("node", "all");
    st::frame_view rv;
    while (c.next(rv)) bytes += rv.payload.size() + 20;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_store_sequential_read_1GB)->Unit(benchmark::kMillisecond)->Iterations(3);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const char* base = std::getenv("INTROSPECT_BENCH_DIR");
  std::error_code ec;
  fs::remove_all(fs::path(base ? base : "/tmp") / ("ix-store-bench-" + std::to_string(::getpid())),
                 ec);
}
