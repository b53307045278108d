// The etcd source wired into an introspection type: its snapshot lands in the store as records
// of kind snapshot, read back through the store reader.
#include <catch2/catch.hpp>
#include <introspect/codec/binary.hpp>
#include <introspect/engine/etcd.hpp>
#include <introspect/introspect.hpp>
#include <introspect/store/reader.hpp>

#include "etcd_server.hpp"

namespace ix = introspect;

TEST_CASE("an uber build with source::etcd records a consistent snapshot in its store",
          "[etcd][engine]") {
  etcd_test::server etcd;
  for (int i = 0; i < 5; ++i)
    etcd.put("/config/key" + std::to_string(i), "value" + std::to_string(i));
  etcd.put("/other/skip", "x");

  char tmpl[] = "/tmp/ix-etcd-engine-XXXXXX";
  const std::filesystem::path store = ::mkdtemp(tmpl);
  using T = ix::introspection<ix::tier::uber, ix::sink::stream_store, ix::cadence::on_demand,
                              ix::sources<ix::source::etcd>>;
  {
    T::config c{.store = store, .instance = "n1"};
    c.etcd.endpoint = etcd.url();
    c.etcd.prefixes = {"/config/"};
    T ins{c};
    // The source snapshots on its own thread; collect until the snapshot's end marker arrived.
    for (int i = 0; i < 100; ++i) {
      ins.collect();
      ins.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ix::store::reader rd(store);
      auto names = rd.stream_names("n1");
      if (std::find(names.begin(), names.end(), "snapshot") == names.end()) continue;
      ix::store::cursor c(store / "n1" / "snapshot", {});
      ix::store::frame_view v;
      bool ended = false;
      while (c.next(v)) {
        ix::record r;
        if (ix::codec::decode(v.text(), r) && r.name == "etcd.snapshot" &&
            std::holds_alternative<std::string>(r.val) && std::get<std::string>(r.val) == "end")
          ended = true;
      }
      if (ended) break;
    }
  }
  ix::store::cursor c(store / "n1" / "snapshot", {});
  ix::store::frame_view v;
  std::map<std::string, std::string> keys;
  while (c.next(v)) {
    ix::record r;
    REQUIRE(ix::codec::decode(v.text(), r));
    CHECK(r.source == "etcd");
    if (r.name != "etcd.snapshot") keys[r.name] = std::get<std::string>(r.val);
  }
  REQUIRE(keys.size() == 5);
  CHECK(keys["/config/key3"] == "value3");
  CHECK(keys.count("/other/skip") == 0);
  std::filesystem::remove_all(store);
}
