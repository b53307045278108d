#include <catch2/catch.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>

#include "util.hpp"

namespace st = introspect::store;

TEST_CASE("a second writer in another process gets an error naming the holder's pid",
          "[store][lock]") {
  store_test::temp_dir d;
  st::writer w(d.path(), "node");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string msg = "no error";
    try {
      st::writer w2(d.path(), "node");
    } catch (const st::lock_error& e) {
      msg = std::to_string(e.holder_pid()) + "|" + e.what();
    } catch (const std::exception& e) {
      msg = std::string("other: ") + e.what();
    }
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  auto me = std::to_string(::getpid());
  CHECK(got.rfind(me + "|", 0) == 0);
  CHECK(got.find("pid " + me) != std::string::npos);
}

TEST_CASE("a second writer in the same process is refused, the lock frees on close",
          "[store][lock]") {
  store_test::temp_dir d;
  {
    st::writer w(d.path(), "node");
    CHECK_THROWS_AS(st::writer(d.path(), "node"), st::lock_error);
    st::writer other(d.path(), "other-scope");  // scopes lock independently
  }
  CHECK_NOTHROW(st::writer(d.path(), "node"));
}
