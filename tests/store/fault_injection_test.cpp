// I/O fault injection at every system call (issue 12): the Nth open/read/write/sync/rename/
// unlink/readdir/truncate/mkdir fails with EIO, EACCES, ENOSPC or EINTR, for every N, on the
// writer's open, append, roll, retention, truncate and close paths and on every reader path.
// After each: nothing readable before is gone, and every record that did not reach the store is
// counted (stats().dropped_records) or was never acknowledged.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <unistd.h>
#include <cstdlib>
#include <functional>
#include <set>

#include "fault.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;
using store_test::fault_scope;
using store_test::plan;
using op = store_test::sys::op;

namespace {

constexpr unsigned all_ops = 0x1FF;
const int errnos[] = {EIO, EACCES, ENOSPC, EINTR};

st::stream_options opts() {
  st::stream_options o;
  o.segment_bytes = 10 * 120 + 32;  // 10 records per segment: rolls on every path
  o.keep_count = 1000;              // retention runs, removes only what truncation hid
  return o;
}

std::set<std::int64_t> visible(const fs::path& root, st::read_stats* stats = nullptr) {
  std::set<std::int64_t> out;
  auto c = st::reader(root).open("node", "all");
  st::frame_view v;
  while (c.next(v)) {
    // Never a wrong record: the payload is the one written for its ts.
    REQUIRE(v.text() == store_test::payload_for(static_cast<std::uint64_t>(v.ts_ns)));
    out.insert(v.ts_ns);
  }
  if (stats) *stats = c.stats();
  return out;
}

struct outcome {
  std::set<std::int64_t> acked;  // appends that returned an offset
  std::uint64_t dropped = 0;     // counted losses
  bool truncated = false;        // truncate(…, 25) completed
  bool opened = false;
};

// The workload under test: reopen (recovery), append across rolls, retention, truncation,
// more appends, close. Exceptions are allowed only where the API documents them.
outcome workload(const fs::path& root, st::durability dur) {
  outcome o;
  try {
    st::writer_options wo;
    wo.durability = dur;
    wo.buffer_bytes = 600;
    st::writer w(root, "node", wo);
    auto s = w.stream("all", opts());
    o.opened = true;
    for (int i = 30; i < 55; ++i)
      if (w.append(s, i, 1, store_test::payload_for(static_cast<std::uint64_t>(i))))
        o.acked.insert(i);
    w.apply_retention(100);
    try {
      w.truncate(s, 25);
      o.truncated = true;
    } catch (const st::store_error&) {
    }
    for (int i = 55; i < 70; ++i)
      if (w.append(s, i, 1, store_test::payload_for(static_cast<std::uint64_t>(i))))
        o.acked.insert(i);
    w.close();
    o.dropped = w.stats().dropped_records;
  } catch (const st::store_error&) {
  }
  return o;
}

void make_baseline(const fs::path& root) {
  st::writer w(root, "node", st::writer_options{st::durability::per_record(), 600});
  auto s = w.stream("all", opts());
  for (int i = 0; i < 30; ++i)
    REQUIRE(w.append(s, i, 1, store_test::payload_for(static_cast<std::uint64_t>(i))));
}

// The faults are the store's logic under test, not the disk's speed: a tmpfs keeps the
// thousands of runs (each with its fdatasyncs) within seconds.
void prefer_tmpfs() {
  if (::access("/dev/shm", W_OK) == 0) ::setenv("INTROSPECT_TEST_TMP", "/dev/shm", 0);
}

std::uint64_t count_calls(const std::function<void()>& f) {
  fault_scope fs;
  plan().mask = all_ops;
  f();
  return plan().calls.load();
}

}  // namespace

TEST_CASE("a fault at any system call of the writer loses nothing silently", "[store][faults]") {
  prefer_tmpfs();
  store_test::temp_dir d("faults-w");
  auto base = d / "base";
  make_baseline(base);
  const auto before = visible(base);
  REQUIRE(before.size() == 30);
  std::uint64_t tried = 0, injected = 0;
  for (auto dur :
       {st::durability::none(), st::durability::every(3), st::durability::per_record()}) {
    const auto calls = count_calls([&] {
      auto tmp = d / "count";
      fs::remove_all(tmp);
      fs::copy(base, tmp, fs::copy_options::recursive);
      workload(tmp, dur);
    });
    REQUIRE(calls > 50);
    for (int err : errnos) {
      for (std::uint64_t n = 1; n <= calls; ++n) {
        auto root = d / "run";
        fs::remove_all(root);
        fs::copy(base, root, fs::copy_options::recursive);
        outcome o;
        {
          fault_scope f;
          plan().mask = all_ops;
          plan().fail_at = n;
          plan().nth_errno = err;
          o = workload(root, dur);
          injected += plan().injected;
        }
        ++tried;
        INFO("durability " << static_cast<int>(dur.level) << ", errno " << err << ", call " << n);
        st::read_stats rs;
        const auto after = visible(root, &rs);
        CHECK(rs.errors.empty());  // the fault has passed: everything is readable again
        // 1. Nothing readable before is gone, except what the workload's own truncation hid.
        // A truncation that reported an error may still have taken effect (its rename
        // succeeded, the directory sync failed): then it hides all it names, or nothing.
        const bool hid = o.truncated || (o.opened && !after.count(0) && !after.count(24));
        for (auto t : before)
          if (!(hid && t < 25)) CHECK(after.count(t) == 1);
        // 2. Every acknowledged record is there, or its loss is counted.
        std::uint64_t missing = 0;
        for (auto t : o.acked)
          if (!after.count(t)) ++missing;
        CHECK(missing <= o.dropped);
        // 3. A writer reopens the store without manual repair.
        CHECK_NOTHROW(st::writer(root, "node").stream("all", opts()));
      }
    }
  }
  WARN("writer fault injection: " << tried << " runs, " << injected << " faults injected");
}

TEST_CASE("a fault at any system call of a reader is reported, never silent", "[store][faults]") {
  prefer_tmpfs();
  store_test::temp_dir d("faults-r");
  auto root = d / "store";
  make_baseline(root);
  {
    st::writer w(root, "node");
    w.truncate(w.stream("all", opts()), 5);
  }
  const auto all = visible(root);
  REQUIRE(all.size() == 25);
  const auto calls = count_calls([&] { visible(root); });
  std::uint64_t tried = 0;
  for (int err : {EIO, EACCES, EINTR}) {
    for (std::uint64_t n = 1; n <= calls; ++n) {
      fault_scope f;
      plan().mask = all_ops;
      plan().fail_at = n;
      plan().nth_errno = err;
      st::read_stats rs;
      auto got = visible(root, &rs);
      ++tried;
      INFO("errno " << err << ", call " << n);
      // Never a truncated record, never a silent gap.
      for (auto t : got) CHECK(t >= 5);
      if (got.size() < all.size()) CHECK_FALSE(rs.errors.empty());
    }
  }
  // verify: each of its calls failed once; it must then report something.
  const auto vcalls = count_calls([&] { REQUIRE(st::verify(root).clean()); });
  for (std::uint64_t n = 1; n <= vcalls; ++n) {
    fault_scope f;
    plan().mask = all_ops;
    plan().fail_at = n;
    plan().nth_errno = EIO;
    auto v = st::verify(root);
    INFO("verify, call " << n);
    CHECK_FALSE(v.clean());
    ++tried;
  }
  WARN("reader fault injection: " << tried << " runs");
}
