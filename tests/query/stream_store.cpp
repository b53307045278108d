// The stream-store reader of the query layer: one time-ordered view per instance whatever the
// mapping, per-kind streams skipped by the hint, damaged frames reported as path@offset.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/query/read/stream_store.hpp>
#include <introspect/query/read/tie_order_cursor.hpp>
#include <introspect/store/writer.hpp>

#include "store_support.hpp"

using namespace introspect;
using namespace introspect::query::read;
namespace fs = std::filesystem;
using query_test::temp_dir;
using query_test::write;

namespace {

record make(std::int64_t ts, record_kind k, std::string name, std::int64_t v) {
  record r;
  r.ts_ns = ts;
  r.kind = k;
  r.source = "test";
  r.name = std::move(name);
  r.val = v;
  if (k == record_kind::notification) r.fields.push_back({"v", value{v}});
  return r;
}

std::vector<std::string> read_all(const store_reader& s, const read_hint& h, damage_log& log) {
  auto src = s.open(s.streams(), h, log);
  std::vector<std::string> out;
  record r;
  std::int64_t last = INT64_MIN;
  while (src->next(r)) {
    CHECK(r.ts_ns >= last);
    last = r.ts_ns;
    out.push_back(r.instance + "/" + std::string(to_string(r.kind)) + "/" + r.name + "@" +
                  std::to_string(r.ts_ns));
  }
  return out;
}

// Records of three kinds, several sharing an instant, one slightly out of order.
std::vector<record> sample() {
  std::vector<record> v;
  for (int i = 0; i < 300; ++i) {
    const std::int64_t ts = 1000 + (i / 3) * 10;
    v.push_back(make(ts, record_kind::notification, "n" + std::to_string(i), i));
    v.push_back(make(ts, record_kind::state, "s" + std::to_string(i), i));
    v.push_back(make(ts + (i % 5 == 0 ? -3 : 0), record_kind::metric, "m" + std::to_string(i), i));
  }
  return v;
}

}  // namespace

TEST_CASE("tie_order_cursor puts one instant's records in kind order, stable within a kind",
          "[query][store]") {
  std::vector<record> in{make(1, record_kind::notification, "a", 0),
                         make(1, record_kind::state, "b", 0),
                         make(1, record_kind::notification, "c", 0),
                         make(2, record_kind::metric, "d", 0), make(2, record_kind::state, "e", 0)};
  tie_order_cursor t(std::make_unique<vector_cursor>(in));
  std::string names;
  record r;
  while (t.next(r)) names += r.name;
  CHECK(names == "baced");  // state (1) before metric (2) at ts 2
}

TEST_CASE("a single stream and streams per kind read as the same view", "[query][store]") {
  temp_dir d("equiv");
  const auto recs = sample();
  write(d.path() / "single", "n1", recs, false);
  write(d.path() / "per", "n1", recs, true);
  REQUIRE(is_stream_store(d.path() / "single"));
  REQUIRE(is_stream_store_scope(d.path() / "single" / "n1"));
  REQUIRE_FALSE(is_stream_store(d.path()));
  stream_store_reader a(d.path() / "single"), b(d.path() / "per");
  CHECK(a.streams().size() == 1);
  CHECK(b.streams().size() == 3);
  damage_log la, lb;
  const auto va = read_all(a, {}, la), vb = read_all(b, {}, lb);
  CHECK(va.size() == recs.size());
  CHECK(va == vb);
  CHECK(la.empty());
  CHECK(lb.empty());
  CHECK(va.front() == "n1/metric/m0@997");  // written after two records of 1000
  CHECK(va[1] == "n1/state/s0@1000");

  // A scope directory reads as that instance alone.
  stream_store_reader one(d.path() / "per" / "n1");
  damage_log lo;
  CHECK(read_all(one, {}, lo) == vb);
}

TEST_CASE("per-kind streams of kinds not asked are not opened; damage is path@offset",
          "[query][store]") {
  temp_dir d("hint");
  auto recs = sample();
  write(d.path(), "n1", recs, true);
  // Damage the metric stream's segment in the middle of its frames.
  fs::path seg;
  for (auto& e : fs::directory_iterator(d.path() / "n1" / "metric"))
    if (e.path().extension() == ".log") seg = e.path();
  REQUIRE_FALSE(seg.empty());
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) / 2));
    f.write("\xff\xff\xff\xff", 4);
  }
  stream_store_reader s(d.path());
  read_hint notes;
  notes.kinds = 1u << static_cast<unsigned>(record_kind::notification);
  damage_log ln;
  const auto vn = read_all(s, notes, ln);
  CHECK(vn.size() == 300);  // only the notification stream was read
  CHECK(ln.empty());        // so the damaged metric stream was never opened

  damage_log lm;
  const auto vm = read_all(s, {}, lm);
  CHECK(vm.size() < recs.size());
  CHECK(vm.size() > recs.size() - 50);
  REQUIRE_FALSE(lm.empty());
  CHECK(lm.kept().front().to_string().starts_with(seg.string() + "@"));
}

TEST_CASE("two instances merge by time; instance is the scope", "[query][store]") {
  temp_dir d("two");
  write(d.path(), "a", {make(10, record_kind::state, "x", 1), make(30, record_kind::state, "y", 2)},
        false);
  write(d.path(), "b", {make(20, record_kind::state, "z", 3)}, true);
  stream_store_reader s(d.path());
  damage_log log;
  CHECK(read_all(s, {}, log) ==
        std::vector<std::string>{"a/state/x@10", "b/state/z@20", "a/state/y@30"});
}
