// demo_product's command line: usage errors exit 2 and name the argument, --help documents the
// scenarios, and the stream-store tiers say when they are not in the build.
#include <catch2/catch.hpp>

#include "demo_support.hpp"

using namespace demo_test;

TEST_CASE("bad arguments exit 2 with a message naming the argument", "[demo][cli]") {
  struct bad {
    std::vector<std::string> args;
    std::string names;
  };
  temp_dir dir;
  const std::string store = (dir / "store").string();
  const std::vector<bad> cases = {
      {{"--tier", "huge", "--store", store}, "--tier"},
      {{"--store", store}, "--tier"},
      {{"--tier", "tiny"}, "--store"},
      {{"--tier", "tiny", "--store", store, "--events", "-3"}, "--events"},
      {{"--tier", "tiny", "--store", store, "--events", "0"}, "--events"},
      {{"--tier", "tiny", "--store", store, "--events", "many"}, "--events"},
      {{"--tier", "tiny", "--store", store, "--seed", "xyz"}, "--seed"},
      {{"--tier", "tiny", "--store", store, "--duration", "soon"}, "--duration"},
      {{"--tier", "tiny", "--store", store, "--duration", "0s"}, "--duration"},
      {{"--tier", "tiny", "--store", store, "--duration", "10parsecs"}, "--duration"},
      {{"--tier", "tiny", "--store", store, "--mapping", "many"}, "--mapping"},
      {{"--tier", "tiny", "--store", store, "--mapping", "per-kind"}, "--mapping"},
      {{"--tier", "tiny", "--store", store, "--scenario", "meteor"}, "--scenario"},
      {{"--tier", "tiny", "--store", store, "--instance", ""}, "--instance"},
      {{"--tier", "tiny", "--store", store, "--bogus"}, "--bogus"},
  };
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    INFO("demo_product " << line);
    const auto r = run_demo(c.args, dir.path());
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.names) != std::string::npos);
    CHECK(r.err.rfind("demo_product: ", 0) == 0);
    CHECK(!std::filesystem::exists(store));  // nothing was recorded
  }
}

TEST_CASE("help documents every option and scenario window and exits 0", "[demo][cli]") {
  temp_dir dir;
  const auto r = run_demo({"--help"}, dir.path());
  REQUIRE(r.exit_code == 0);
  for (const char* word : {"--tier", "--store", "--seed", "--events", "--duration", "--mapping",
                           "--instance", "--scenario", "2026-01-01T00:00:00Z",
                           "disk-fill       20%..80%", "container-flap  30%..60%",
                           "latency-spike   40%..60%", "heartbeat-loss  50%..80%", "healthy"}) {
    INFO(word);
    CHECK(r.out.find(word) != std::string::npos);
  }
}

TEST_CASE("stream-store tiers exit 2 with a message until the store lands", "[demo][cli]") {
  temp_dir dir;
  for (const std::string tier : {"small", "medium", "large", "uber"}) {
    INFO("--tier " << tier);
    const auto r = run_demo(
        {"--tier", tier, "--store", (dir / tier).string(), "--seed", "7", "--events", "2000"},
        dir.path());
    INFO(r.err);
#if __has_include(<introspect/sink/stream_store.hpp>)
    // The store is in this build: the tier records, metrics included.
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::is_directory(dir / tier / "demo"));
    CHECK(summary_value(r.err, "metric").n > 0);
    CHECK(!summary_value(r.err, "metric").compiled_out);
    CHECK(summary_value(r.err, "record").compiled_out == (tier == "small" || tier == "medium"));
#else
    CHECK(r.exit_code == 2);
    CHECK(r.err == "demo_product: tier '" + tier +
                       "' needs the stream store, which has not landed in this build\n");
    CHECK(!std::filesystem::exists(dir / tier));
#endif
  }
}
