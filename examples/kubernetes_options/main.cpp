// Every option of the Kubernetes source, set through the introspection type's configuration
// (`config.kubernetes`, an introspect::kubernetes::options; docs/kubernetes.md). Built and run
// by ctest: without a cluster the source records "no connection" and retries, which this
// program shows before it exits.
//
//   example_kubernetes_options [STORE] [KUBECONFIG]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <introspect/engine/kubernetes.hpp>
#include <introspect/introspect.hpp>

namespace ix = introspect;
namespace k8s = introspect::kubernetes;
using namespace std::chrono_literals;

using product_introspection =
    ix::introspection<ix::tier::large, ix::sink::stream_store, ix::cadence::on_demand,
                      ix::mode::kubernetes, ix::sources<ix::source::kubernetes>>;

int main(int argc, char** argv) {
  product_introspection::config cfg;
  cfg.store = argc > 1 ? argv[1] : "kubernetes-example-store";
  cfg.instance = "controller-0";
  // A designated initializer names only what it changes (every option has a default; the
  // names follow the declaration order of k8s::options, docs/kubernetes.md's table).
  cfg.kubernetes = {
      .kubeconfig = argc > 2 ? argv[2] : "/nonexistent/kubeconfig",  // "": in-cluster, ~/.kube
      .resources = {k8s::deployments(), k8s::statefulsets(), k8s::pods(),
                    k8s::custom_resource("pravega.pravega.io", "v1beta1", "pravegaclusters",
                                         /*namespaced=*/true, "PravegaCluster")},
      .namespace_name = "pravega",  // "*": every namespace
      .label_selector = "app=pravega-cluster",
      .events = true,       // Events as notifications (events.k8s.io/v1)
      .watch_window = 30s,  // one watch request per collection (each on its own thread)
      .read_timeout = 1s,
      .connect_timeout = 2s,
      .backoff_initial = 500ms,  // retry after a failure: doubles up to the max
      .backoff_max = 30s,
      .handoff_capacity = 4096,
      .snapshot_interval = std::chrono::hours{6},  // uber tier (snapshots) only
      .snapshot_references = true,
      .redact_snapshots = true,
  };
  const k8s::options& o = cfg.kubernetes;

  product_introspection ins{cfg};
  // The source's thread tries to connect; without a kubeconfig it records why and retries.
  std::this_thread::sleep_for(200ms);
  ins.collect();
  ins.flush();
  std::printf("kubernetes source configured for namespace %s with %zu collections (+ Events)\n",
              o.namespace_name.c_str(), o.resources.size());
  return 0;
}
