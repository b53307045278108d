// `introspect streams` shows LAG, the bytes of an instance's store not yet in JetStream, for a
// federated store (nats://, from the forwarders' progress reports) and for a teed local store
// (from the cursor its forwarder persists), and no LAG for a store that is neither. A real
// nats-server -js on a random loopback port keeps one stream behind: `discard_new` with
// MaxMsgs 10 takes 10 of its 30 records and rejects the rest.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <introspect/jetstream/jetstream.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include "../jetstream/report_watch.hpp"
#include "../jetstream/server.hpp"
#include "../jetstream/util.hpp"
#include "harness.hpp"

namespace ix = introspect;
namespace js = introspect::jetstream;
using cli_test::lines_of;
using cli_test::run;

namespace {

// The whitespace-separated cells of the table row whose first cell is `first`.
std::vector<std::string> row_of(const std::string& table, const std::string& first) {
  for (const auto& line : lines_of(table)) {
    std::istringstream in(line);
    std::vector<std::string> cells;
    for (std::string c; in >> c;) cells.push_back(c);
    if (!cells.empty() && cells[0] == first) return cells;
  }
  return {};
}

std::vector<std::string> header_of(const std::string& table) {
  std::istringstream in(lines_of(table).at(0));
  std::vector<std::string> cells;
  for (std::string c; in >> c;) cells.push_back(c);
  return cells;
}

// The value of the LAG column of `first`'s row.
std::string lag_cell(const std::string& table, const std::string& first) {
  const auto head = header_of(table);
  const auto row = row_of(table, first);
  for (std::size_t i = 0; i < head.size() && i < row.size(); ++i)
    if (head[i] == "LAG") return row[i];
  return "(no LAG column)";
}

}  // namespace

TEST_CASE("streams shows each stream's lag for federated and teed stores", "[cli][jetstream]") {
  js_test::temp_dir tmp("cli-streams-lag");
  js_test::nats_server srv(js_test::nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  ix::store::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto notif = w.stream("notification");
  const auto offs = js_test::write_records(w, metric, 0, 30);
  js_test::write_records(w, notif, 0, 5);
  const ix::store::reader rd(root);
  const auto metric_end = rd.info("node-1", "metric").end_offset;
  const auto notif_end = rd.info("node-1", "notification").end_offset;
  const auto lag = metric_end - offs[10];

  js::forwarder_options o;
  o.url = srv.url();
  o.report_errors = false;
  o.discard_new = true;
  o.limits_for = [](std::string_view stream) {
    return stream == "metric" ? js::limits{std::nullopt, std::nullopt, 10} : js::limits{};
  };
  o.stop_timeout = std::chrono::milliseconds(200);
  js::forwarder fw(root, "node-1", o);
  // Subscribed before the forwarder starts: the test waits on the report itself, not on time,
  // and never asks JetStream while the report stream is being created (report_watch.hpp).
  js_test::report_watch watch(srv.url(), "node-1");
  fw.start();
  std::string last_report;
  const auto caught_up = [&](const js::scope_progress& p) {
    if (p.streams.size() != 2) return false;
    for (const auto& s : p.streams)
      if (s.acked_offset != (s.stream == "metric" ? offs[10] : notif_end) ||
          s.store_end != (s.stream == "metric" ? metric_end : notif_end))
        return false;
    return true;
  };
  const bool reported =
      watch.wait_for(caught_up, std::chrono::seconds(60), last_report).has_value();
  INFO("last progress report: " << last_report << " want metric acked " << offs[10] << " end "
                                << metric_end << ", notification " << notif_end);
  INFO("nats-server: " << srv.health());
  const auto fs = fw.stats();
  INFO("forwarder: connected " << fs.connected << ", " << fs.published << " published, " << fs.acked
                               << " acked, " << fs.resent << " resent, " << fs.resyncs
                               << " resyncs, last error: " << fs.last_error);
  REQUIRE(reported);
  REQUIRE(js_test::eventually(
      [&] {
        auto c = js::load_cursors(root / "node-1", "jetstream");
        return c["metric"].acked_offset == offs[10] && c["notification"].acked_offset == notif_end;
      },
      std::chrono::seconds(20)));

  SECTION("federated: from the progress reports") {
    auto t = run({"streams", srv.url()});
    INFO(t.out << t.err);
    CHECK(t.code == 0);
    CHECK(header_of(t.out) ==
          std::vector<std::string>{"STREAM", "RECORDS", "BYTES", "LAG", "FIRST", "LAST"});
    CHECK(lag_cell(t.out, "node-1/metric") == std::to_string(lag));
    CHECK(lag_cell(t.out, "node-1/notification") == "0");
    CHECK(row_of(t.out, "node-1/metric").at(1) == "10");  // what JetStream holds

    auto j = run({"streams", srv.url(), "--format", "jsonl"});
    CHECK(j.code == 0);
    CHECK_THAT(j.out, Catch::Contains("\"stream\":\"metric\"") &&
                          Catch::Contains("\"lag_bytes\":" + std::to_string(lag) + "}"));
    CHECK_THAT(j.out, Catch::Contains("\"lag_bytes\":0}"));

    auto c = run({"streams", srv.url(), "--format", "csv"});
    CHECK(c.code == 0);
    CHECK(lines_of(c.out).at(0).ends_with(",last,lag_bytes\r"));
    bool seen = false;
    for (const auto& l : lines_of(c.out))
      if (l.starts_with("node-1,metric,")) {
        seen = true;
        CHECK(l.ends_with("," + std::to_string(lag) + "\r"));
      }
    CHECK(seen);
  }

  SECTION("teed: the local store from its forwarder's cursor") {
    auto t = run({"streams", root.string()});
    INFO(t.out << t.err);
    CHECK(t.code == 0);
    CHECK(t.err.empty());
    CHECK(lag_cell(t.out, "node-1/metric") == std::to_string(lag));
    CHECK(lag_cell(t.out, "node-1/notification") == "0");
    CHECK(row_of(t.out, "node-1/metric").at(1) == "30");  // what the store holds
    // The scope directory given directly reads the same cursor.
    auto s = run({"streams", (root / "node-1").string(), "--format", "jsonl"});
    CHECK_THAT(s.out, Catch::Contains("\"lag_bytes\":" + std::to_string(lag) + "}"));
  }

  SECTION("neither: no LAG column, no lag_bytes") {
    const auto plain = tmp.path() / "plain";
    {
      ix::store::writer pw(plain, "node-2");
      auto m = pw.stream("metric");
      js_test::write_records(pw, m, 0, 3);
    }
    auto t = run({"streams", plain.string()});
    CHECK(t.code == 0);
    CHECK(header_of(t.out) ==
          std::vector<std::string>{"STREAM", "RECORDS", "BYTES", "FIRST", "LAST"});
    auto j = run({"streams", plain.string(), "--format", "jsonl"});
    CHECK_THAT(j.out, !Catch::Contains("lag_bytes"));
    auto c = run({"streams", plain.string(), "--format", "csv"});
    CHECK(lines_of(c.out).at(1).ends_with(",\r"));  // the lag cell is empty
  }

  SECTION("an instance without a progress report: its lag is unknown, not 0") {
    fw.stop();
    {
      ix::jetstream::detail::conn_ptr conn;
      ix::jetstream::detail::js_ptr j;
      js::connect_reader({srv.url(), "", "", std::chrono::milliseconds(3000)}, "test", false, conn,
                         j);
      jsErrCode code{};
      REQUIRE(js_DeleteStream(j.get(), js::progress_stream_of("node-1").c_str(), nullptr, &code) ==
              NATS_OK);
    }
    auto t = run({"streams", srv.url()});
    CHECK(t.code == 0);
    CHECK_THAT(t.err, Catch::Contains("instance node-1 has no progress report"));
    CHECK(header_of(t.out) ==
          std::vector<std::string>{"STREAM", "RECORDS", "BYTES", "FIRST", "LAST"});
    auto j = run({"streams", srv.url(), "--format", "jsonl"});
    CHECK_THAT(j.out, !Catch::Contains("lag_bytes"));
  }
}
