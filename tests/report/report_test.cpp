// introspect summary and report through build/bin/introspect, on the demo's fault scenarios:
// the summary's first screen names the fault's insight; the report opens in a real headless
// Chromium without network, logs no console error, and renders the timeline and plots (the
// DOM, and a screenshot that is not one colour).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <introspect/format/rfc3339.hpp>

#include "../demo/demo_support.hpp"

namespace {

using namespace demo_test;

const std::string cli = INTROSPECT_TEST_BIN_DIR "/introspect";

run_result ix_run(const std::string& args, const fs::path& scratch) {
  std::string cmd = sh_quote(cli);
  cmd += ' ';
  cmd += args;
  return run_shell(cmd, scratch);
}

std::string first_lines(const std::string& s, std::size_t n) {
  std::istringstream in(s);
  std::string line, out;
  for (std::size_t i = 0; i < n && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

struct scenario {
  const char* name;
  const char* events;
  const char* rule;  // the insight the fault must produce (tests/scenarios)
  const char* subject;
};

const scenario scenarios[] = {
    {"disk-fill", "1800000", "disk-full", "disk.sdb.used_bytes"},
    {"container-flap", "1200000", "container-flapping", "segmentstore/0/container/3"},
    {"latency-spike", "1200000", "journal-latency", "bookkeeper.write.latency_us"},
    {"heartbeat-loss", "1200000", "component-heartbeat", "segmentstore.2.heartbeat"},
};

fs::path scenario_store(const temp_dir& t, const scenario& sc) {
  const auto p = t / sc.name;
  if (!fs::exists(p)) {
    const auto r = run_demo({"--tier", "medium", "--mapping", "per-kind", "--store", p.string(),
                             "--seed", "1", "--events", sc.events, "--scenario", sc.name},
                            t.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  return p;
}

}  // namespace

TEST_CASE("summary names each demo fault's insight on its first screen", "[report][cli]") {
  temp_dir t;
  for (const auto& sc : scenarios) {
    const auto store = scenario_store(t, sc);
    const auto r = ix_run("summary " + sh_quote(store.string()), t.path());
    INFO(sc.name << ":\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto screen = first_lines(r.out, 24);
    // One line holds the rule instance and its subject.
    bool found = false;
    std::istringstream in(screen);
    for (std::string line; std::getline(in, line);)
      found = found || (line.find(std::string{" "} + sc.rule + " ") != std::string::npos &&
                        line.find(sc.subject) != std::string::npos);
    CHECK(found);
    CHECK(screen.find("INSTANCES 1") == 0);
    CHECK(screen.find("RECORDS ") != std::string::npos);
    CHECK(screen.find("DAMAGE none found") != std::string::npos);
    // -o json has every episode for tools.
    const auto j = ix_run("summary " + sh_quote(store.string()) + " -o json", t.path());
    CHECK(j.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(j.out).get(doc) == simdjson::SUCCESS);
    bool in_json = false;
    for (auto e : doc["insights"].get_array())
      in_json = in_json || (std::string_view{e["name"].get_string()} == sc.rule &&
                            std::string_view{e["subject"].get_string()} == sc.subject);
    CHECK(in_json);
    // The summary replays the rules over just the records they read (report/rule_feed.hpp):
    // its episodes are exactly those of `introspect insights` (every record, in time order).
    std::set<std::tuple<std::string, std::string, std::string>> from_summary, from_insights;
    for (auto e : doc["insights"].get_array())
      from_summary.emplace(std::string{e["instance"].get_string().value()},
                           std::string{e["name"].get_string().value()},
                           std::string{e["subject"].get_string().value()} + "#" +
                               std::string{e["onset"].get_string().value()});
    const auto ins = ix_run("insights " + sh_quote(store.string()) + " -o jsonl", t.path());
    std::istringstream lines_in(ins.out);
    for (std::string line; std::getline(lines_in, line);) {
      simdjson::dom::parser lp;
      simdjson::dom::element rec;
      REQUIRE(lp.parse(line).get(rec) == simdjson::SUCCESS);
      const auto onset = rec["fields"]["onset"].get_int64().value();
      from_insights.emplace(std::string{rec["instance"].get_string().value()},
                            std::string{rec["name"].get_string().value()},
                            std::string{rec["fields"]["subject"].get_string().value()} + "#" +
                                introspect::format_rfc3339(onset));
    }
    CHECK(from_summary == from_insights);
  }
  // A healthy run: no rule fires, and the summary says so.
  const auto healthy = t / "healthy";
  REQUIRE(run_demo({"--tier", "medium", "--mapping", "per-kind", "--store", healthy.string(),
                    "--seed", "1", "--events", "1800000", "--scenario", "healthy"},
                   t.path())
              .exit_code == 0);
  const auto h = ix_run("summary " + sh_quote(healthy.string()), t.path());
  CHECK(h.out.find("INSIGHTS 0 (no rule fired)") != std::string::npos);
}

TEST_CASE("the report opens in headless Chromium offline: no console error, timeline and plots",
          "[report][cli][chromium]") {
  temp_dir t;
  const auto store = scenario_store(t, scenarios[2]);  // latency-spike
  const auto page = t / "report.html";
  const auto r =
      ix_run("report " + sh_quote(store.string()) + " -o " + sh_quote(page.string()), t.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto html = read_file(page);
  // Self-contained: nothing to fetch (no URL at all, no script, no external style or font).
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.size() < 5'000'000);
  // At most 10 000 points per plot.
  for (std::size_t at = html.find("<svg class=\"plot\""); at != std::string::npos;
       at = html.find("<svg class=\"plot\"", at + 1)) {
    const auto end = html.find("</svg>", at);
    std::size_t points = 0;
    for (auto p = html.find("points=\"", at); p != std::string::npos && p < end;
         p = html.find("points=\"", p + 1)) {
      const auto q = html.find('"', p + 8);
      points +=
          static_cast<std::size_t>(std::count(html.begin() + static_cast<std::ptrdiff_t>(p) + 8,
                                              html.begin() + static_cast<std::ptrdiff_t>(q), ','));
    }
    CHECK(points <= 10'000);
  }
  const auto chrome =
      std::string{
          "timeout 120 chromium --headless=new --no-sandbox --disable-gpu "
          "--no-first-run --disable-background-networking "
          "--host-resolver-rules=\"MAP * ~NOTFOUND\" --user-data-dir="} +
      sh_quote((t / "chrome-profile").string()) + " --enable-logging=stderr --v=0 ";
  const auto url = sh_quote("file://" + page.string());
  const auto dom = run_shell(chrome + "--dump-dom " + url, t.path());
  INFO("chromium stderr:\n" << dom.err);
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.err.find("CONSOLE") == std::string::npos);
  CHECK(dom.err.find("Uncaught") == std::string::npos);
  CHECK(dom.out.find("<svg id=\"timeline\"") != std::string::npos);
  CHECK(dom.out.find("class=\"episode\"") != std::string::npos);
  CHECK(dom.out.find("<svg class=\"plot\"") != std::string::npos);
  CHECK(dom.out.find("<polyline class=\"series\"") != std::string::npos);
  // The latency spike's insight is drawn with its evidence (the anomaly band).
  CHECK(dom.out.find("normal band:") != std::string::npos);
  CHECK(dom.out.find("journal-latency") != std::string::npos);
  // A screenshot that is not blank: decode the PNG and count distinct pixel bytes.
  const auto png = t / "report.png";
  const auto shot = run_shell(
      chrome + "--screenshot=" + sh_quote(png.string()) + " --window-size=1400,1000 " + url,
      t.path());
  INFO(shot.err);
  REQUIRE(fs::exists(png));
  const auto stats = run_shell("python3 -c " + sh_quote(R"(import sys,zlib,struct
d=open(sys.argv[1],'rb').read()
assert d[:8]==b'\x89PNG\r\n\x1a\n'
i=8; idat=b''; w=h=0
while i<len(d):
    n=struct.unpack('>I',d[i:i+4])[0]; t=d[i+4:i+8]; c=d[i+8:i+8+n]
    if t==b'IHDR': w,h=struct.unpack('>II',c[:8])
    if t==b'IDAT': idat+=c
    i+=12+n
raw=zlib.decompress(idat)
print(w,h,len(set(raw)),sum(1 for b in raw if b<200)))") +
                                   " " + sh_quote(png.string()),
                               t.path());
  INFO("png: " << stats.out << stats.err);
  REQUIRE(stats.exit_code == 0);
  std::istringstream in(stats.out);
  long w = 0, h = 0, distinct = 0, dark = 0;
  in >> w >> h >> distinct >> dark;
  CHECK(w == 1400);
  CHECK(h == 1000);
  CHECK(distinct >= 32);
  CHECK(dark > 1000);
#if defined(INTROSPECT_TEST_HAS_BUNDLE)
  // The same page from a bundle of the store: the bundle is read directly.
  const auto bundle = t / "case.tar.zst";
  REQUIRE(
      ix_run("bundle " + sh_quote(store.string()) + " -o " + sh_quote(bundle.string()), t.path())
          .exit_code == 0);
  const auto page2 = t / "from-bundle.html";
  REQUIRE(
      ix_run("report " + sh_quote(bundle.string()) + " -o " + sh_quote(page2.string()), t.path())
          .exit_code == 0);
  const auto s1 = ix_run("summary " + sh_quote(store.string()), t.path());
  const auto s2 = ix_run("summary " + sh_quote(bundle.string()), t.path());
  CHECK(s1.out == s2.out);
#endif
}
