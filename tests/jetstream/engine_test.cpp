// The uber tier's default sink, tee<stream_store, jetstream>: the product records through its
// introspection type, the local store keeps everything, and JetStream receives each record
// exactly once, fed by the forwarder thread.
#include <catch2/catch.hpp>
#include <introspect/engine/jetstream.hpp>
#include <introspect/introspect.hpp>
#include <introspect/jetstream/fetch.hpp>

#include "server.hpp"

namespace ix = introspect;
using namespace js_test;

TEST_CASE("an uber build feeds JetStream from its local store", "[jetstream][engine][uber]") {
  temp_dir tmp("js-engine");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  STATIC_REQUIRE(ix::uber_introspection::threads == 2);  // writer + forwarder
  {
    ix::uber_introspection::config c{
        .store = tmp.path() / "store", .instance = "node-1", .on_error = ix::ignore_errors};
    c.jetstream.url = srv.url();
    ix::uber_introspection ins{c};
    for (int i = 0; i < 2000; ++i)
      ins.notify(ix::severity::warning, "disk nearly full", {{"i", i}});
    ins.flush();
    REQUIRE(ins.engine().attachment().forwarder().wait_idle(std::chrono::milliseconds(20000)));
    const auto st = ins.engine().attachment().stats();
    CHECK(st.acked >= 2000);
  }
  ix::jetstream::fetch_options fo;
  fo.url = srv.url();
  auto got = ix::jetstream::fetch(fo, "node-1");
  std::set<std::int64_t> seen;
  std::size_t notifications = 0;
  for (const auto& r : got) {
    CHECK(r.rec.instance == "node-1");
    if (r.rec.kind != ix::record_kind::notification) continue;
    ++notifications;
    seen.insert(std::get<std::int64_t>(*r.rec.find_field("i")));
  }
  CHECK(notifications == 2000);  // exactly once
  CHECK(seen.size() == 2000);
}
