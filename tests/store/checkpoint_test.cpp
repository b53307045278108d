#include <catch2/catch.hpp>
#include <introspect/store/checkpoint.hpp>

#include "util.hpp"

namespace st = introspect::store;

TEST_CASE("a checkpoint round trips through the store", "[store][checkpoint]") {
  store_test::temp_dir d;
  st::checkpoint c;
  c.ts_ns = 1767225600000000000;
  c.states = {{"container/3", "RECOVERING"}, {"disk/sdb", "has spaces\nand newline"}};
  c.metrics = {{"cache.bytes", 1234.5}, {"latency", 0.1}};
  {
    st::writer w(d.path(), "node");
    CHECK_FALSE(st::load_checkpoint(w));
    CHECK(st::load_checkpoint(w).reason.find("no checkpoint") != std::string::npos);
    st::save_checkpoint(w, c);
    auto back = st::load_checkpoint(w);
    REQUIRE(back);
    CHECK(*back.value == c);
  }
  st::reader r(d.path());
  auto back = st::load_checkpoint(r, "node");
  REQUIRE(back);
  CHECK(back.value->states.at("disk/sdb") == "has spaces\nand newline");
  CHECK(back.value->metrics.at("cache.bytes") == 1234.5);
}

TEST_CASE("old-version and corrupt checkpoints fall back with a reason", "[store][checkpoint]") {
  store_test::temp_dir d;
  st::writer w(d.path(), "node");
  st::checkpoint c;
  c.states = {{"a", "b"}};
  w.put_meta(st::checkpoint_meta_name, st::detail::encode_checkpoint(c, 0));
  auto old = st::load_checkpoint(w);
  CHECK_FALSE(old);
  CHECK(old.reason.find("version 0") != std::string::npos);

  auto good = st::detail::encode_checkpoint(c);
  good.resize(good.size() / 2 + 6);
  w.put_meta(st::checkpoint_meta_name, good);
  auto bad = st::load_checkpoint(w);
  CHECK_FALSE(bad);
  CHECK(bad.reason.find("corrupt") != std::string::npos);

  w.put_meta(st::checkpoint_meta_name, std::string_view("garbage"));
  CHECK(st::load_checkpoint(w).reason.find("not a checkpoint") != std::string::npos);

  st::save_checkpoint(w, c);
  store_test::flip_byte(d / "node/.meta/checkpoint", 30);  // caught by the blob's checksum
  auto flipped = st::load_checkpoint(st::reader(d.path()), "node");
  CHECK_FALSE(flipped);
  CHECK(flipped.reason.find("checksum") != std::string::npos);
}
