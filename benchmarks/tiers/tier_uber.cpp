// The uber tier with its own sink, tee<stream_store, jetstream>, publishing to a real
// `nats-server -js` this program starts on a random loopback port (killed with it).
#include <introspect/engine/jetstream.hpp>

#include "footprint.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  namespace tb = tiers_bench;
  // Statics, destroyed in reverse: the instance (forwarder saves its cursors), then the server,
  // then the directory holding both stores.
  static tb::temp_dir dir{"uber"};
  static js_test::nats_server server{js_test::nats_server::in(dir.path() / "nats")};
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uber: not measured: %s\n", e.what());
    return 3;
  }
  std::printf("nats-server -js at %s (child process: its threads are not counted)\n",
              server.url().c_str());
  introspect::uber_introspection::config c;
  c.store = dir.path() / "store";
  c.jetstream.url = server.url();
  return tb::run<introspect::uber_introspection>("uber", std::move(c),
                                                 tb::options::parse(argc, argv));
}
