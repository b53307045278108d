// configure() before instance() is honoured; configure() after it returns false and changes
// nothing. (Own executable: instance() is one per process and type.)
#include <chrono>
#include <string>

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
