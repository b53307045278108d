#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <sys/mount.h>

#include "util.hpp"

namespace st = introspect::store;

TEST_CASE("a full disk is counted, the store stays readable, writing resumes", "[store][enospc]") {
  store_test::temp_dir d("enospc");
  auto mnt = d / "mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
    WARN("cannot mount a tmpfs (" << std::strerror(errno) << "): ENOSPC test skipped");
    return;
  }
  struct unmount {
    std::filesystem::path p;
    ~unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{mnt};
  std::filesystem::create_directories(mnt / "ballast");
  auto root = mnt / "store";
  st::writer_options wo;
  wo.buffer_bytes = 16 << 10;
  st::writer w(root, "node", wo);
  w.put_meta("identity", std::string_view("node-1"));
  st::stream_options so;
  so.segment_bytes = 128 << 10;
  auto s = w.stream("all", so);
  std::string payload(100, 'p');
  std::int64_t ts = 0;
  for (; ts < 20000; ++ts) w.append(s, ts, 1, payload);  // 2.4 MB into 1 MB
  w.flush();
  CHECK(w.stats().enospc > 0);
  CHECK(w.stats().dropped_records > 0);
  CHECK_FALSE(w.stats().last_error.empty());
  auto before = st::reader(root).info("node", "all").records;
  CHECK(before > 1000);
  CHECK(st::verify(root).clean());
  // Space returns (retention frees sealed segments) and writing resumes.
  auto dropped = w.stats().dropped_records;
  w.truncate(s, ts - 1);  // hide and remove all but the last record
  for (int i = 0; i < 100; ++i) REQUIRE(w.append(s, ts + i, 1, payload));
  CHECK(w.flush());
  CHECK(w.stats().dropped_records == dropped);
  st::reader r(root);
  auto c = r.open("node", "all", {0, ts});
  st::frame_view rv;
  int n = 0;
  while (c.next(rv)) ++n;
  CHECK(n == 100);
  CHECK(c.stats().skipped_ranges == 0);
  CHECK(r.get_meta("node", "identity").has_value());
  CHECK(st::verify(root).clean());
}
