// configure() before instance() is honoured; configure() after it returns false and changes
// nothing. (Own executable: instance() is one per process and type.)
#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/introspect.hpp>

#include "support.hpp"

namespace ix = introspect;
using namespace std::chrono_literals;

// A type used by no other test in this executable.
using configured = ix::introspection<ix::tier::tiny, ix::cadence::periodic<2s>>;

TEST_CASE("configure() after instance() returns false and keeps the first configuration",
          "[introspection][tiny]") {
  ixt::temp_dir dir;
  CHECK(configured::configure({.store = dir / "first", .instance = "one"}));
  // A second configure() before first use replaces the first.
  CHECK(configured::configure({.store = dir / "second", .instance = "two"}));
  auto& ins = configured::instance();
  CHECK(&ins == &configured::instance());
  CHECK(ins.engine().cfg().store == dir / "second");
  CHECK(ins.engine().cfg().instance == "two");

  bool late = true;
  {
    ixt::stderr_capture err;
    late = configured::configure({.store = dir / "third", .instance = "three"});
    CHECK(err.text().find("configure() after instance()") != std::string::npos);
  }
  CHECK_FALSE(late);
  CHECK(ins.engine().cfg().store == dir / "second");
  CHECK(ins.engine().cfg().instance == "two");
  // Nothing was recorded: the instance writes nothing at exit, so the removed dir stays removed.
}

TEST_CASE("an unconfigured instance takes $INTROSPECT_STORE and the host name",
          "[introspection][tiny]") {
  ::setenv("INTROSPECT_STORE", "/tmp/ix-core-env-store", 1);
  const auto c = ix::detail::complete({});
  CHECK(c.store == "/tmp/ix-core-env-store");
  CHECK_FALSE(c.instance.empty());
  CHECK(c.clock != nullptr);
  ::unsetenv("INTROSPECT_STORE");
  CHECK(ix::detail::complete({}).store == "introspection");
  // No ".." survives (it would be a path step in the store), and the name stays usable.
  CHECK(ix::detail::sanitize_instance("../etc/passwd") == "_._etc_passwd");
  CHECK(ix::detail::sanitize_instance("nœud-1 ü/../x").find("..") == std::string::npos);
  CHECK(ix::detail::sanitize_instance("node.tmp") == "node.tm_");
  CHECK(ix::detail::sanitize_instance("..") == "instance");
  CHECK(ix::detail::sanitize_instance("") == "instance");
}

// Per-component options: a type's config holds the options of the components it selected and
// nothing else; the tiny tier carries no Kubernetes, etcd or JetStream fields.
template <class C>
concept has_kubernetes_options = requires(C c) {
  c.kubernetes.kubeconfig;
};
template <class C>
concept has_etcd_options = requires(C c) {
  c.etcd.prefixes;
};
template <class C>
concept has_jetstream_options = requires(C c) {
  c.jetstream.url;
};
using tiny_config = ix::tiny_introspection::config;
static_assert(std::is_same_v<tiny_config, ix::config>);
static_assert(!has_kubernetes_options<tiny_config> && !has_etcd_options<tiny_config> &&
              !has_jetstream_options<tiny_config>);
static_assert(std::is_empty_v<decltype(tiny_config::kubernetes)> &&
              std::is_empty_v<decltype(tiny_config::etcd)> &&
              std::is_empty_v<decltype(tiny_config::jetstream)>);
static_assert(std::is_same_v<ix::small_introspection::config, ix::config>);
static_assert(std::is_same_v<ix::medium_introspection::config, ix::config>);
static_assert(std::is_same_v<ix::large_introspection::config, ix::config>);
// A type that records nothing takes null_config: the same field names, nothing stored (so that
// configure({...}) compiles to nothing); a plain introspect::config is still accepted.
static_assert(std::is_same_v<ix::introspection<ix::sink::null>::config, ix::null_config>);
static_assert(std::is_empty_v<ix::null_config> || sizeof(ix::null_config) <= 12);
static_assert(requires { ix::introspection<ix::sink::null>::configure(ix::config{}); });
// A component's options are its own struct, so designated initializers reach them:
struct fake_options {
  std::string url;
  int replicas = 1;
};
using with_fake = ix::basic_config<ix::no_options<ix::kubernetes_options_tag>,
                                   ix::no_options<ix::etcd_options_tag>, fake_options>;
static_assert(has_jetstream_options<with_fake> && !has_etcd_options<with_fake>);

TEST_CASE("a config is written with designated initializers, components as members",
          "[introspection][config]") {
  const with_fake c{.store = "/var/lib/p", .instance = "n1", .jetstream = {.url = "nats://h:1"}};
  CHECK(c.jetstream.url == "nats://h:1");
  CHECK(c.jetstream.replicas == 1);
  CHECK(c.queue_slots == 0);  // the tier's size (policy/tier.hpp)
  // The common fields carry over to a richer config; the components keep their defaults.
  const auto w = ix::detail::with_common<with_fake>(
      ix::config{.store = "/s", .instance = "i", .queue_slots = 16, .on_error = ix::ignore_errors});
  CHECK(w.store == "/s");
  CHECK(w.instance == "i");
  CHECK(w.queue_slots == 16);
  CHECK(w.on_error == &ix::ignore_errors);
  CHECK(w.jetstream.url.empty());
}

namespace {
std::vector<std::string> handled;
void keep_error(std::string_view m) noexcept { handled.emplace_back(m); }
}  // namespace

// A type of its own (instance() is one per process and type).
using handled_type = ix::introspection<ix::tier::tiny, ix::cadence::periodic<3s>>;

TEST_CASE("failures go to the error handler: the process-wide one, or the config's",
          "[introspection][config]") {
  ixt::temp_dir dir;
  CHECK(handled_type::configure({.store = dir / "s", .instance = "h"}));
  (void)handled_type::instance();
  const auto previous = ix::set_error_handler(&keep_error);
  CHECK(previous == &ix::print_error);
  {
    ixt::stderr_capture err;
    CHECK_FALSE(handled_type::configure({.store = dir / "late"}));
    CHECK(err.text().empty());  // the handler replaced the line on stderr
  }
  REQUIRE(handled.size() == 1);
  CHECK(handled[0] == "configure() after instance(): ignored");
  // A config's own handler wins over the process-wide one.
  CHECK_FALSE(handled_type::configure({.store = dir / "late", .on_error = ix::ignore_errors}));
  CHECK(handled.size() == 1);
  CHECK(ix::set_error_handler(nullptr) == &keep_error);
  CHECK(ix::get_error_handler() == &ix::print_error);
}
