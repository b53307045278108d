// Every option of the etcd source, set through the introspection type's configuration
// (`config.etcd`, an introspect::etcd::options; docs/etcd.md). Built and run by ctest: without
// an etcd member the source records the refused connection and retries, which this program
// shows before it exits.
//
//   example_etcd_options [STORE] [ENDPOINT]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <introspect/engine/etcd.hpp>
#include <introspect/introspect.hpp>

namespace ix = introspect;
using namespace std::chrono_literals;

using product_introspection =
    ix::introspection<ix::tier::uber, ix::sink::stream_store, ix::cadence::on_demand,
                      ix::sources<ix::source::etcd>>;

int main(int argc, char** argv) {
  product_introspection::config cfg;
  cfg.store = argc > 1 ? argv[1] : "etcd-example-store";
  cfg.instance = "controller-0";
  // A designated initializer names only what it changes (every option has a default; the
  // names follow the declaration order of etcd::options, docs/etcd.md's table).
  cfg.etcd = {
      .endpoint = argc > 2 ? argv[2] : "http://127.0.0.1:1",  // nothing listens on port 1
      .ca_file = "",  // https: the only CA trusted when given
      .prefixes = {"/pravega/", "/config/"},
      .snapshot_interval = std::chrono::hours{1},  // plus one on start and on demand
      .watch = true,                               // changes between snapshots
      .page_size = 1000,
      .watch_window = 5s,
      .connect_timeout = 2s,
      .request_timeout = 5s,
      .tcp_nodelay = true,
      .username = "",  // etcd v3 auth when set (https, or explicitly allowed)
      .allow_password_over_http = false,
      .backoff_initial = 500ms,
      .backoff_max = 30s,
      .handoff_capacity = 16384,
  };
  const ix::etcd::options& o = cfg.etcd;

  product_introspection ins{cfg};
  std::this_thread::sleep_for(200ms);
  ins.collect();
  ins.flush();
  std::printf("etcd source configured for %s, %zu prefixes\n", o.endpoint.c_str(),
              o.prefixes.size());
  return 0;
}
