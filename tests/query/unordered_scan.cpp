// The in-place scan of aggregates: decode_view accepts what decode accepts, the glob shortcuts
// and the verdict cache agree with the general matcher, and an aggregate computed over the
// unordered, in-place scan equals the one over the merged, time-ordered view.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/query/agg/aggregate.hpp>
#include <introspect/query/expr/filter.hpp>
#include <introspect/query/read/unordered_scan.hpp>
#include <introspect/store/writer.hpp>

#include "store_support.hpp"

using namespace introspect;
using namespace introspect::query::read;
using namespace introspect::query::expr;
using namespace introspect::query::agg;
namespace fs = std::filesystem;
using query_test::temp_dir;
using query_test::write;

namespace {

// Records of every value type, some with fields, in slightly shuffled time order.
std::vector<record> sample(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  const record_kind kinds[] = {record_kind::state, record_kind::metric, record_kind::notification};
  std::vector<record> v;
  for (std::size_t i = 0; i < n; ++i) {
    record r;
    r.ts_ns = static_cast<std::int64_t>(i) * 7'000'000'000 / 3 + static_cast<int>(rng() % 5);
    r.kind = kinds[rng() % 3];
    r.source = "src" + std::to_string(rng() % 3);
    r.name = "svc." + std::to_string(rng() % 4) + (rng() % 2 ? ".cache.hits" : ".disk.used");
    switch (rng() % 4) {
      case 0:
        r.val = static_cast<std::int64_t>(rng() % 1000) - 500;
        break;
      case 1:
        r.val = static_cast<double>(rng() % 100000) / 7.0;
        break;
      case 2:
        r.val = rng() % 2 == 0;
        break;
      default:
        r.val = std::string("text") + std::to_string(rng() % 9);
    }
    if (rng() % 3 == 0) r.fields.push_back({"disk", value{std::string("sd") + "abc"[rng() % 3]}});
    if (rng() % 5 == 0) r.flags = flag_table;
    v.push_back(std::move(r));
  }
  return v;
}

std::vector<agg_row> merged(const store_set& set, const record_filter& f, const agg_spec& spec) {
  damage_log log;
  aggregator a(spec);
  auto src = set.open(set.streams(), f.hint(), log);
  record r;
  while (src->next(r))
    if (f.matches(r)) a.add(r);
  return a.rows();
}

std::vector<agg_row> in_place(const store_set& set, const record_filter& f, const agg_spec& spec,
                              damage_log& log) {
  aggregator a(spec);
  auto cache = f.name_cache();
  for_each_unordered(set, set.streams(), f.hint(), log, [&](const auto& r) {
    if (f.matches(r, cache)) a.add(r);
  });
  return a.rows();
}

void same_rows(const std::vector<agg_row>& a, const std::vector<agg_row>& b) {
  REQUIRE(a.size() == b.size());
  REQUIRE_FALSE(a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].bucket_ns == b[i].bucket_ns);
    CHECK(a[i].key == b[i].key);
    CHECK(a[i].records == b[i].records);
    if (std::isnan(a[i].value))
      CHECK(std::isnan(b[i].value));
    else
      CHECK(a[i].value == Approx(b[i].value).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("decode_view reads every payload decode reads, and rejects what it rejects",
          "[query][codec]") {
  std::string payload;
  std::vector<field_view> fv, fields;
  for (const auto& r : sample(500, 3)) {
    payload.clear();
    codec::encode(view_of(r, fv), payload);
    record owned;
    record_view v;
    REQUIRE(codec::decode(payload, owned));
    REQUIRE(codec::decode_view(payload, v, fields));
    CHECK(v.name == owned.name);
    CHECK(v.source == owned.source);
    CHECK(v.flags == owned.flags);
    CHECK(v.sev == owned.sev);
    CHECK(v.val.type() == to_view(owned.val).type());
    CHECK(v.val.as_number() == to_view(owned.val).as_number());
    CHECK(v.val.as_string() == to_view(owned.val).as_string());
    REQUIRE(v.fields.size() == owned.fields.size());
    for (std::size_t i = 0; i < v.fields.size(); ++i) CHECK(v.fields[i].key == owned.fields[i].key);
    // Every truncation and a newer version fail alike in both.
    for (std::size_t cut = 0; cut < payload.size(); ++cut) {
      const std::string_view p{payload.data(), cut};
      CHECK(codec::decode(p, owned) == codec::decode_view(p, v, fields));
    }
    std::string newer = payload;
    newer[0] = static_cast<char>(codec::payload_version + 1);
    CHECK_FALSE(codec::decode_view(newer, v, fields));
  }
}

TEST_CASE("glob shortcuts and the verdict cache agree with the general matcher", "[query]") {
  const std::vector<std::string> globs = {"*.cache.*", "svc.1*", "*hits", "svc.2.disk.used",
                                          "*",         "**",     "",      "s?c.*",
                                          "*.[cd]*",   "a\\*",   "*.x*"};
  const std::vector<std::string> names = {"svc.1.cache.hits", "svc.2.disk.used", "", "a*", "ab",
                                          "svc.10",           ".cache.",         "x"};
  for (const auto& g : globs)
    for (const auto& n : names) {
      INFO(g << " / " << n);
      bool shortcut = false;
      if (introspect::detail::glob_simple(g, n, shortcut))
        CHECK(shortcut == introspect::detail::glob_match_general(g, n));
      glob_set_cache one({g});
      CHECK(one.matches(n) == glob_match(g, n));
      CHECK(one.matches(n) == glob_match(g, n));  // the remembered verdict
    }
  glob_set_cache none({});
  CHECK(none.matches("anything"));
}

TEST_CASE("aggregates over the in-place scan equal those over the merged view", "[query][store]") {
  temp_dir d("agg");
  const auto recs = sample(3000, 11);
  write(d.path() / "single", "n1", recs, false);
  write(d.path() / "per", "n1", recs, true);
  for (const char* which : {"single", "per"}) {
    INFO(which);
    store_set set;
    std::string err;
    const store_opener openers[] = {[](const fs::path& p) -> std::unique_ptr<store_reader> {
      if (is_stream_store(p)) return std::make_unique<stream_store_reader>(p);
      return nullptr;
    }};
    REQUIRE(set.open({(d.path() / which).string()}, openers, err));
    for (auto fn :
         {agg_fn::count, agg_fn::sum, agg_fn::avg, agg_fn::min, agg_fn::p90, agg_fn::rate}) {
      agg_spec spec;
      spec.fn = fn;
      spec.every_ns = 60'000'000'000;
      record_filter f;
      f.names = {"*.cache.*"};
      f.only_kinds({record_kind::metric, record_kind::state});
      damage_log log;
      same_rows(merged(set, f, spec), in_place(set, f, spec, log));
      CHECK(log.empty());
      spec.by = parse_field_ref("fields.disk");
      f.names.clear();
      f.where = where_expr::parse("value > 0 or source == 'src1'");
      same_rows(merged(set, f, spec), in_place(set, f, spec, log));
    }
  }
}

TEST_CASE("the in-place scan reports a damaged frame and counts the rest", "[query][store]") {
  temp_dir d("dmg");
  const auto recs = sample(2000, 5);
  write(d.path(), "n1", recs, false);
  fs::path seg;
  for (auto& e : fs::directory_iterator(d.path() / "n1" / "all"))
    if (e.path().extension() == ".log") seg = e.path();
  REQUIRE_FALSE(seg.empty());
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(seg) / 2));
    f.write("\xff\xff\xff\xff", 4);
  }
  store_set set;
  std::string err;
  const store_opener openers[] = {[](const fs::path& p) -> std::unique_ptr<store_reader> {
    return std::make_unique<stream_store_reader>(p);
  }};
  REQUIRE(set.open({d.path().string()}, openers, err));
  record_filter f;
  f.tables = true;
  agg_spec spec;
  damage_log log;
  const auto rows = in_place(set, f, spec, log);
  REQUIRE(rows.size() == 1);
  CHECK(log.count() == 1);
  CHECK(log.kept().at(0).path.find("segment-") != std::string::npos);
  CHECK(rows[0].records == recs.size() - 1);  // exactly the damaged record is missing
}
