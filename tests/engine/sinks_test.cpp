// Sinks: each sink policy has a sink type that meets the sink concept, the engine is named by
// how it runs (inline: no thread; threaded: one writer thread), and tee<A, B> writes to both.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>

#include <catch2/catch.hpp>
#include <introspect/introspect.hpp>

#include "../support/temp_dir.hpp"
#include "read_back.hpp"

using ix_test::temp_dir;

namespace ix = introspect;
using namespace std::chrono_literals;

namespace {
template <class... P>
using R = ix::detail::resolve<P...>;
using small_r = R<ix::tier::small, ix::sources<>>;
}  // namespace

// Each sink meets the concept; the engine follows from what the sink takes.
static_assert(ix::record_sink<ix::null_sink>);
static_assert(ix::record_sink<ix::jsonl_sink>);
static_assert(ix::record_sink<ix::store_sink<small_r>>);
static_assert(std::is_empty_v<ix::null_sink>);
static_assert(std::is_same_v<ix::tiny_introspection::engine_type,
                             ix::inline_engine<ix::jsonl_sink, 60'000'000'000>>);
static_assert(std::is_same_v<ix::small_introspection::engine_type::sink_type,
                             ix::store_sink<R<ix::tier::small>>>);
static_assert(ix::tiny_introspection::threads == 0 && ix::small_introspection::threads == 1);

// tee<A, B>: a store with an empty second sink runs on the threaded engine; a JSON-lines file
// with one runs inline, with no thread.
using store_tee = ix::introspection<ix::tier::small, ix::sources<>,
                                    ix::sink::tee<ix::sink::stream_store, ix::sink::null>>;
using store_tee_r =
    R<ix::tier::small, ix::sources<>, ix::sink::tee<ix::sink::stream_store, ix::sink::null>>;
static_assert(
    std::is_same_v<store_tee::engine_type,
                   ix::threaded_engine<store_tee_r,
                                       ix::tee_sink<ix::store_sink<store_tee_r>, ix::null_sink>>>);
static_assert(store_tee::threads == 1);
using jsonl_tee =
    ix::introspection<ix::tier::tiny, ix::sink::tee<ix::sink::jsonl_file, ix::sink::null>>;
static_assert(jsonl_tee::threads == 0);
static_assert(
    std::is_same_v<jsonl_tee::engine_type::sink_type, ix::tee_sink<ix::jsonl_sink, ix::null_sink>>);
// The config of a tee without JetStream carries no JetStream options.
static_assert(std::is_empty_v<decltype(store_tee::config{}.jetstream)>);

TEST_CASE("tee<stream_store, null> writes every record to the store", "[engine][sink]") {
  temp_dir d;
  {
    store_tee ins{ix::config{.store = d.path(), .instance = "n"}};
    for (int i = 0; i < 100; ++i) ins.notify(ix::severity::warning, "disk", {{"i", i}});
    ins.state("container/3", "RUNNING");
    ins.flush();
    CHECK(ins.stats().records == 101);
    CHECK(ins.stats().dropped() == 0);
  }
  std::size_t notifications = 0, states = 0;
  for (const auto& r : read_back(d.path(), "n")) {
    notifications += r.kind == ix::record_kind::notification;
    states += r.kind == ix::record_kind::state && r.name == "container/3";
  }
  CHECK(notifications == 100);
  CHECK(states >= 1);
}

TEST_CASE("tee<jsonl_file, null> writes JSON lines inline, as the tiny tier does",
          "[engine][sink][tiny]") {
  temp_dir d;
  std::filesystem::path file;
  {
    jsonl_tee ins{ix::config{.store = d.path(), .instance = "n"}};
    ins.notify(ix::severity::error, "journal write failed", {{"ledger", 17}});
    ins.flush();
    file = ins.engine().sink().first().current_file();
    CHECK(ins.stats().records == 1);
  }
  REQUIRE(std::filesystem::exists(file));
  std::string text;
  {
    std::ifstream in(file);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  CHECK(text.find("\"journal write failed\"") != std::string::npos);
}

TEST_CASE("the null sink accepts every call and writes nothing", "[engine][sink]") {
  ix::null_sink s;
  s.append(ix::framed_record{ix::record_kind::state, 1, "x"});
  CHECK_FALSE(s.flush(1));
  CHECK_FALSE(s.tick(1));
  CHECK(s.stats().records == 0);
}
