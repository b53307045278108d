#include <catch2/catch.hpp>
#include <introspect/sql/loader.hpp>
#include <introspect/sql/run.hpp>
#include <introspect/sql/table_spec.hpp>

namespace ix = introspect;

namespace {
ix::record make(ix::record_kind k, std::int64_t ts, std::string name, ix::value v = {},
                std::vector<ix::field> fields = {}) {
  ix::record r;
  r.kind = k;
  r.ts_ns = ts;
  r.instance = "node-1";
  r.source = "product";
  r.name = std::move(name);
  r.val = std::move(v);
  r.fields = std::move(fields);
  return r;
}

std::int64_t scalar(ix::sql::database& db, const std::string& q) {
  auto st = db.prepare(q);
  REQUIRE(st.step());
  return sqlite3_column_int64(st.get(), 0);
}
}  // namespace

TEST_CASE("records load into one table per kind with indexes", "[sql]") {
  ix::sql::database db;
  ix::sql::loader l(db);
  for (int i = 0; i < 100; ++i) {
    l.add(make(ix::record_kind::notification, i, "disk nearly full", {},
               {{"disk", std::string(i % 2 ? "sdb" : "sdc")}, {"pct", std::int64_t{90 + i % 10}}}));
    auto m = make(ix::record_kind::metric, i, "cache.bytes", double(i));
    m.mtype = ix::metric_type::gauge;
    l.add(m);
  }
  l.add(make(ix::record_kind::state, 5, "container/3", std::string("RUNNING")));
  l.finish();
  CHECK(l.rows() == 201);
  CHECK(scalar(db, "SELECT count(*) FROM notification") == 100);
  CHECK(scalar(db, "SELECT count(*) FROM notification WHERE json_extract(fields,'$.disk')='sdb'") ==
        50);
  CHECK(scalar(db, "SELECT sum(value) FROM metric WHERE name='cache.bytes'") == 4950);
  CHECK(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND name='metric_ts'") ==
        1);
  CHECK(scalar(db, "SELECT count(*) FROM state WHERE value='RUNNING'") == 1);
}

TEST_CASE("each user struct gets its own table with a column per member", "[sql][record]") {
  ix::sql::database db;
  ix::sql::loader l(db);
  l.add(make(ix::record_kind::record, 1, "DiskHealth", {},
             {{"disk", std::string("sdb")}, {"wear_pct", std::int64_t{71}}}));
  l.add(make(ix::record_kind::record, 2, "DiskHealth", {},
             {{"disk", std::string("sdc")}, {"wear_pct", std::int64_t{12}}, {"temp_c", 41.5}}));
  l.finish();
  CHECK(scalar(db, "SELECT wear_pct FROM DiskHealth WHERE disk='sdb'") == 71);
  CHECK(scalar(db, "SELECT count(*) FROM DiskHealth WHERE temp_c IS NULL") == 1);
  CHECK(scalar(db, "SELECT count(*) FROM record") == 2);
}

TEST_CASE("bad SQL is an error carrying SQLite's reason", "[sql][errors]") {
  ix::sql::database db;
  ix::sql::loader l(db);
  l.finish();
  try {
    ix::sql::run_query(db, "SELEC nothing", ix::sql::row_format::table, stdout);
    FAIL("no error");
  } catch (const ix::sql::sql_error& e) {
    CHECK(std::string(e.what()).find("syntax error") != std::string::npos);
  }
  CHECK_THROWS_AS(ix::sql::run_query(db, "SELECT * FROM nosuch", ix::sql::row_format::csv, stdout),
                  ix::sql::sql_error);
}

TEST_CASE("query results print as table, csv and json lines", "[sql][output]") {
  ix::sql::database db;
  ix::sql::loader l(db);
  l.add(make(ix::record_kind::state, 1, "a,b", std::string("x\"y")));
  l.finish();
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  CHECK(ix::sql::run_query(db, "SELECT name, value FROM state", ix::sql::row_format::csv, f) == 1);
  ix::sql::run_query(db, "SELECT name, value FROM state", ix::sql::row_format::jsonl, f);
  std::fclose(f);
  std::string out(buf, len);
  std::free(buf);
  CHECK(out == "name,value\n\"a,b\",\"x\"\"y\"\n{\"name\":\"a,b\",\"value\":\"x\\\"y\"}\n");
}

TEST_CASE("struct members clashing with fixed columns or by case get a prefix", "[sql][record]") {
  const std::vector<std::string> keys = {"ts", "Disk", "disk", "SOURCE", "field_disk", "wear"};
  CHECK(ix::sql::struct_member_columns(keys) ==
        std::vector<std::string>{"field_ts", "Disk", "field_disk", "field_SOURCE",
                                 "field_field_disk", "wear"});
  ix::sql::database db;
  ix::sql::loader l(db);
  l.add(make(ix::record_kind::record, 1, "Odd", {},
             {{"ts", std::int64_t{5}}, {"Disk", std::string("A")}, {"disk", std::string("b")}}));
  l.finish();
  CHECK(scalar(db, "SELECT field_ts FROM Odd WHERE Disk = 'A' AND field_disk = 'b'") == 5);
  CHECK(ix::sql::struct_table("metric") == "struct_metric");
  CHECK(ix::sql::struct_table("Metric") == "struct_Metric");
}

TEST_CASE("a text bound on ts becomes a safe time range", "[sql][pushdown]") {
  const std::int64_t s = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  const std::int64_t sec = 1'000'000'000;
  CHECK(ix::sql::ts_text_range("2026-01-01T00:00:05.5", true).first == s + 5 * sec);
  CHECK(ix::sql::ts_text_range("2026-01-01T00:00:05.5", false).second == s + 6 * sec);
  // A date, or a space instead of 'T' (which sorts before 'T'), bounds by the whole day.
  CHECK(ix::sql::ts_text_range("2026-01-01 00:00:05", true).first == s);
  CHECK(ix::sql::ts_text_range("2026-01-01", false).second == s + 86400 * sec);
  // Not a time: no bound.
  CHECK(ix::sql::ts_text_range("yesterday", true).first ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(ix::sql::ts_text_range("yesterday", false).second ==
        std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("table arguments are parsed and bad ones named", "[sql][vtab]") {
  auto t = ix::sql::parse_table_args(
      {"'/s/a'", "metric", "since='2026-01-01T00:00:01Z'", "store='/s/b'", "stream=all"});
  CHECK(t.stores == std::vector<std::string>{"/s/a", "/s/b"});
  CHECK(t.shape == ix::sql::table_shape::kind);
  CHECK(t.kind == ix::record_kind::metric);
  CHECK(t.base.since_ns == 1'767'225'601'000'000'000);
  CHECK(t.stream_glob == "all");
  auto s = ix::sql::parse_table_args({"'/s/a'", "'struct:Disk Health'"});
  CHECK(s.shape == ix::sql::table_shape::structure);
  CHECK(s.struct_name == "Disk Health");
  try {
    ix::sql::parse_table_args({"'/s/a'", "metric", "colour=red"});
    FAIL("no error");
  } catch (const ix::sql::table_error& e) {
    CHECK(std::string(e.what()).find("colour=red") != std::string::npos);
  }
  CHECK_THROWS_AS(ix::sql::parse_table_args({"metric=1"}), ix::sql::table_error);
}
