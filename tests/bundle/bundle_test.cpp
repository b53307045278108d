// introspect bundle through build/bin/introspect: a bundle reads like its store (round trip,
// plain and zstd), a window is cut at frame boundaries, planted secrets never reach the
// bundle's bytes, and a damaged or truncated bundle gives a clear error and what is intact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <introspect/bundle/redact.hpp>
#include <introspect/codec/binary.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/store/tooling.hpp>
#include <introspect/store/writer.hpp>

#include "../demo/demo_support.hpp"

namespace {

using namespace demo_test;
namespace ix = introspect;

const std::string cli = INTROSPECT_TEST_BIN_DIR "/introspect";

run_result ix_run(const std::string& args, const fs::path& scratch) {
  std::string cmd = sh_quote(cli);
  cmd += ' ';
  cmd += args;
  return run_shell(cmd, scratch);
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// One demo store per test run (medium tier, a stream per kind, 20 s of simulated time).
const fs::path& demo_store(const temp_dir& t) {
  static fs::path p;
  if (p.empty() || !fs::exists(p)) {
    p = t / "store";
    const auto r = run_demo({"--tier", "medium", "--mapping", "per-kind", "--store", p.string(),
                             "--seed", "7", "--events", "20000"},
                            t.path());
    REQUIRE(r.exit_code == 0);
  }
  return p;
}

void write_file(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

// A record for the test store.
ix::record rec(std::int64_t ts, ix::record_kind k, std::string name, ix::value v,
               std::vector<ix::field> fields = {}) {
  ix::record r;
  r.ts_ns = ts;
  r.kind = k;
  // Snapshots of etcd keys ("/app/...") come from the etcd source, objects from Kubernetes.
  r.source = k != ix::record_kind::snapshot ? "product"
             : name.starts_with("/")        ? "etcd"
                                            : "kubernetes";
  r.name = std::move(name);
  r.val = std::move(v);
  r.fields = std::move(fields);
  if (k == ix::record_kind::notification) r.sev = ix::severity::warning;
  return r;
}


// Writes `recs` to one stream of instance node-1 of the store at `root`.
void write_stream(const fs::path& root, const char* stream, const std::vector<ix::record>& recs,
                  const ix::store::stream_options& so = {}) {
  // The raw frame log, as a product that stopped uncleanly leaves it: the tests below damage
  // single frames (a clean close would compress a segment of 64 KiB or more).
  ix::store::writer_options o;
  o.close_seal_bytes = 0;
  ix::store::writer w(root, "node-1", o);
  std::string payload;
  std::vector<ix::field_view> fv;
  for (const auto& r : recs) {
    payload.clear();
    ix::codec::encode(ix::view_of(r, fv), payload);
    REQUIRE(w.append(w.stream(stream, so), r.ts_ns, static_cast<std::uint8_t>(r.kind), payload));
  }
  w.flush();
}

}  // namespace

TEST_CASE("a bundle reads like its store: query, aggregates, insights and verify",
          "[bundle][cli]") {
  temp_dir t;
  const auto& store = demo_store(t);
  const auto s = sh_quote(store.string());
  for (const char* name : {"case.tar.zst", "case.tar"}) {
    const auto b = sh_quote((t / name).string());
    const auto made = ix_run("bundle " + s + " -o " + b, t.path());
    INFO(name << ": " << made.out << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(made.out.find("verify: clean") != std::string::npos);
    for (const char* q :
         {"query {} -o jsonl", "query {} -k metric -n 'bookkeeper.*' --agg p99 --every 5s -o csv",
          "query {} -n controller.requests --agg rate --every 5s -o csv", "insights {} -o jsonl",
          "tail {} -n 50 -o jsonl"}) {
      std::string qs(q);
      const auto at = qs.find("{}");
      const auto from_store = ix_run(std::string(qs).replace(at, 2, s), t.path());
      const auto from_bundle = ix_run(std::string(qs).replace(at, 2, b), t.path());
      INFO(q);
      CHECK(from_store.exit_code == from_bundle.exit_code);
      if (qs.starts_with("query")) CHECK(lines(from_store.out) > 0);
      CHECK(from_store.out == from_bundle.out);
    }
    const auto v = ix_run("verify " + b, t.path());
    CHECK(v.exit_code == 0);
  }
  // Reading a bundle extracts it into a private directory under $TMPDIR, gone at exit.
  const auto tmp = t / "tmp";
  fs::create_directories(tmp);
  const auto q = run_shell("TMPDIR=" + sh_quote(tmp.string()) + " " + sh_quote(cli) + " query " +
                               sh_quote((t / "case.tar").string()) + " --limit 3",
                           t.path());
  CHECK(q.exit_code == 0);
  CHECK(fs::is_empty(tmp));
}

TEST_CASE("bundle --since/--until keeps a window cut at frame boundaries", "[bundle][cli]") {
  temp_dir t;
  const auto s = sh_quote(demo_store(t).string());
  const auto b = sh_quote((t / "window.tar.zst").string());
  const std::string win = " --since 2026-01-01T00:00:05Z --until 2026-01-01T00:00:12Z";
  const auto made = ix_run("bundle " + s + win + " -o " + b, t.path());
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(made.out.find("window: 2026-01-01T00:00:05") != std::string::npos);
  // The window's records are all there, exactly as the store has them.
  const auto want = ix_run("query " + s + win + " -o jsonl", t.path());
  const auto got = ix_run("query " + b + win + " -o jsonl", t.path());
  CHECK(lines(want.out) > 100);
  CHECK(want.out == got.out);
  // Nothing far outside it: every stream starts at its first frame of the window and ends
  // with its last frame before the end (frames are kept whole, in stream order).
  const auto all_store = ix_run("query " + s + " -o jsonl", t.path());
  const auto all_bundle = ix_run("query " + b + " -o jsonl", t.path());
  CHECK(lines(all_bundle.out) < lines(all_store.out) / 2);
  const auto first = ix_run("query " + b + " -o jsonl --limit 1", t.path());
  const auto last = ix_run("query " + b + " -o jsonl -r --limit 1", t.path());
  CHECK(first.out.find("\"ts\":\"2026-01-01T00:00:0") != std::string::npos);
  CHECK(first.out.substr(0, 40) >= std::string{"{\"ts\":\"2026-01-01T00:00:05"});
  CHECK(last.out.substr(0, 40) < std::string{"{\"ts\":\"2026-01-01T00:00:12"});
  // A cut segment carries no stale index or active-segment record: verify is clean.
  const auto v = ix_run("verify " + b, t.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  // A window that holds nothing says so.
  const auto usage =
      ix_run("bundle " + s + " --since 2026-01-01T00:00:12Z --until 2026-01-01T00:00:05Z -o " + b,
             t.path());
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find("--since is not before --until") != std::string::npos);
}

TEST_CASE("planted secrets never appear in the bundle's bytes; the manifest says what went",
          "[bundle][cli][redaction]") {
  temp_dir t;
  const auto root = t / "secrets";
  const std::int64_t t0 = epoch_ns;
  const std::vector<ix::record> recs{
      rec(t0, ix::record_kind::metric, "cache.bytes", 1234.0),
      rec(t0 + ms, ix::record_kind::snapshot, "kubernetes/secrets/prod/db",
          std::string{
              R"({"kind":"Secret","metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"PLANTEDLASTAPPLIED\"}}","team":"storage"}},"data":{"password":"UExBTlRFRFNFQ1JFVERBVEE="}})"},
          {{"kind", std::string{"Secret"}}, {"namespace", std::string{"prod"}}}),
      rec(t0 + 2 * ms, ix::record_kind::snapshot, "kubernetes/pods/prod/api-0",
          std::string{
              R"({"kind":"Pod","spec":{"containers":[{"name":"api","env":[{"name":"DB_PASSWORD","value":"PLANTEDENVSECRET"},{"name":"LOG_LEVEL","value":"keep-this-debug"},{"name":"DSN","value":"postgres://u:PLANTEDURLPW@db/x"}]}]}})"},
          {{"kind", std::string{"Pod"}}}),
      rec(t0 + 3 * ms, ix::record_kind::snapshot, "/app/config/api_token",
          std::string{"PLANTEDETCDVALUE"}, {{"revision", std::int64_t{7}}}),
      rec(t0 + 4 * ms, ix::record_kind::snapshot, "/app/config/replicas",
          std::string{"keep-this-3"}, {{"revision", std::int64_t{8}}}),
      rec(t0 + 5 * ms, ix::record_kind::notification, "upstream refused", ix::value{},
          {{"header", std::string{"Authorization: Bearer PLANTEDBEARERxyz.987"}}}),
      rec(t0 + 6 * ms, ix::record_kind::state, "container/1", std::string{"RUNNING"}),
  };
  write_stream(root, "all", recs);
  const std::vector<std::string> planted{
      "PLANTEDLASTAPPLIED", "UExBTlRFRFNFQ1JFVERBVEE=", "PLANTEDENVSECRET",
      "PLANTEDURLPW",       "PLANTEDETCDVALUE",         "PLANTEDBEARERxyz.987"};
  const auto rs = sh_quote(root.string());
  // The store holds them (so that the test can fail).
  const auto raw = ix_run("query " + rs + " -o jsonl", t.path());
  for (const auto& p : planted) CHECK(raw.out.find(p) != std::string::npos);
  for (const char* name : {"s.tar", "s.tar.zst"}) {
    const auto b = t / name;
    const auto made = ix_run("bundle " + rs + " -o " + sh_quote(b.string()), t.path());
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(made.out.find("redacted:") != std::string::npos);
    // The bytes: the file itself, and its decompressed tar for the zstd one.
    std::string bytes = read_file(b);
    if (std::string_view{name}.ends_with(".zst"))
      bytes = run_shell("zstd -dc " + sh_quote(b.string()), t.path()).out;
    REQUIRE(bytes.size() > 1000);
    for (const auto& p : planted) {
      INFO(name << " holds " << p);
      CHECK(bytes.find(p) == std::string::npos);
    }
    // What is not secret stays, and the records still decode.
    const auto q = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
    CHECK(lines(q.out) == recs.size());
    CHECK(q.out.find("keep-this-debug") != std::string::npos);
    CHECK(q.out.find("keep-this-3") != std::string::npos);
    CHECK(q.out.find("storage") != std::string::npos);
    CHECK(q.err.empty());
    const auto manifest =
        run_shell("tar -xOf " + sh_quote(b.string()) + " manifest.json", t.path()).out;
    for (const char* rule : {"\"kubernetes-secret\": 1", "\"last-applied\": 1", "\"env\": 2",
                             "\"key-pattern\": 1", "\"bearer-token\": 1"}) {
      INFO(manifest);
      CHECK(manifest.find(rule) != std::string::npos);
    }
    CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 0);
  }
  // --no-redact is what it says (the check above can see a token when one is there).
  const auto open = t / "open.tar";
  REQUIRE(
      ix_run("bundle " + rs + " --no-redact -o " + sh_quote(open.string()), t.path()).exit_code ==
      0);
  CHECK(read_file(open).find("PLANTEDETCDVALUE") != std::string::npos);
}

TEST_CASE("the redaction pre-check finds the word wherever it is, in either case",
          "[bundle][redaction]") {
  // The vectorised check must answer as the plain search does: at every place of a payload
  // (both sides of each 16-byte step, the tail), for every length, with near misses around.
  auto reference = [](std::string_view s) {
    return s.find("earer") != std::string_view::npos || s.find("EARER") != std::string_view::npos;
  };
  auto check = [&](const std::string& s) {
    const std::span<const std::byte> p{reinterpret_cast<const std::byte*>(s.data()), s.size()};
    INFO(s);
    REQUIRE(ix::bundle::may_need_redaction(1, p) == reference(s));
  };
  for (std::size_t len = 0; len <= 70; ++len)
    for (std::size_t at = 0; at + 5 <= len; ++at)
      for (const char* w : {"earer", "EARER", "eArer", "earEr", "Earer", "earex", "xarer"}) {
        std::string s(len, 'e');  // many first letters: every one is a candidate
        s.replace(at, 5, w);
        check(s);
        std::string q(len, 'q');
        q.replace(at, 5, w);
        check(q);
      }
  std::mt19937 rng(15);
  const std::string letters = "eEaArRb Bx";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 90, ' ');
    for (auto& c : s) c = letters[rng() % letters.size()];
    check(s);
  }
  // Snapshots are always looked at.
  CHECK(ix::bundle::may_need_redaction(static_cast<std::uint8_t>(ix::record_kind::snapshot), {}));
}

TEST_CASE("a damaged store bundles with its damage zeroed and reported; a failed write says why",
          "[bundle][cli]") {
  temp_dir t;
  const auto root = t / "damaged";
  std::vector<ix::record> recs;
  for (int i = 0; i < 3000; ++i)
    recs.push_back(rec(epoch_ns + i * ms, ix::record_kind::notification,
                       i == 1500 ? "PLANTEDINDAMAGEDFRAME" : "slow journal write", ix::value{},
                       {{"n", std::int64_t{i}}}));
  write_stream(root, "events", recs);
  // One byte flipped inside the planted record's frame: that frame is damage.
  fs::path seg;
  for (const auto& e : fs::directory_iterator(root / "node-1" / "events"))
    if (e.path().extension() == ".log") seg = e.path();
  REQUIRE(!seg.empty());
  auto bytes = read_file(seg);
  const auto planted = bytes.find("PLANTEDINDAMAGEDFRAME");
  REQUIRE(planted != std::string::npos);
  bytes[planted + 3] = 'X';
  write_file(seg, bytes);
  const auto rs = sh_quote(root.string());
  const auto b = t / "d.tar";
  const auto made = ix_run("bundle " + rs + " -o " + sh_quote(b.string()), t.path());
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  CHECK(made.out.find("verify: 1 damaged") != std::string::npos);
  CHECK(made.out.find("zeroed: ") != std::string::npos);
  const auto tar = read_file(b);
  CHECK(tar.find("INDAMAGEDFRAME") == std::string::npos);  // zeroed, the flipped byte too
  CHECK(tar.find("slow journal write") != std::string::npos);
  const auto report = run_shell("tar -xOf " + sh_quote(b.string()) + " verify.txt", t.path()).out;
  CHECK(report.find("stores/0/node-1/events/segment-") != std::string::npos);
  CHECK(report.find("checksum mismatch") != std::string::npos);
  // Every other record comes out of the bundle, and `verify` of it reports the same damage.
  const auto q = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
  CHECK(lines(q.out) == recs.size() - 1);
  CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 1);
  // A write that fails (here: the file size limit, EFBIG) names the member and the cause, and
  // leaves no file behind, neither FILE nor FILE.tmp.
  const auto small = t / "small.tar";
  const auto failed = run_shell("ulimit -f 64; trap '' XFSZ; " + sh_quote(cli) + " bundle " + rs +
                                    " -o " + sh_quote(small.string()),
                                t.path());
  INFO(failed.out << failed.err);
  CHECK(failed.exit_code == 2);
  CHECK(failed.err.find("stores/0/node-1/events/segment-") != std::string::npos);
  CHECK(failed.err.find("too large") != std::string::npos);
  CHECK(!fs::exists(small));
  CHECK(!fs::exists(small.string() + ".tmp"));
}

TEST_CASE("a truncated or damaged bundle gives a clear error and what is intact", "[bundle][cli]") {
  temp_dir t;
  // A bundle of several members, whose zstd stream is cut deep inside: raw segments (a
  // compressed store's bundle is too small to hold more than one zstd block, and a flipped
  // byte in a compressed block costs the block: compressed_segment_test covers that).
  const auto big = t / "big";
  {
    std::vector<ix::record> recs;
    for (int i = 0; i < 150000; ++i)
      recs.push_back(rec(epoch_ns + i * ms, ix::record_kind::notification,
                         i % 7 == 0 ? "slow journal write" : "container restarted",
                         ix::value{std::int64_t{i * 7919 % 100003}},
                         {{"n", std::int64_t{i}}, {"disk", "sd" + std::to_string(i % 13)}}));
    ix::store::stream_options so;
    so.seal = ix::store::seal_codec::none;
    write_stream(big, "events", recs, so);
  }
  const auto s = sh_quote(big.string());
  const auto full = ix_run("query " + s + " -o jsonl", t.path());
  REQUIRE(lines(full.out) > 1000);
  for (const char* name : {"d.tar.zst", "d.tar"}) {
    const auto b = t / name;
    REQUIRE(ix_run("bundle " + s + " -o " + sh_quote(b.string()), t.path()).exit_code == 0);
    const auto bytes = read_file(b);
    // Cut at 60%: the members before the cut come out, the one it broke in partly.
    const auto cut = t / (std::string{"cut-"} + name);
    write_file(cut, bytes.substr(0, bytes.size() * 6 / 10));
    const auto q = ix_run("query " + sh_quote(cut.string()) + " -o jsonl", t.path());
    INFO(name << " cut: " << q.err);
    CHECK(q.err.find(cut.string()) != std::string::npos);
    CHECK(q.err.find("truncated") != std::string::npos);
    CHECK(lines(q.out) > 0);
    CHECK(lines(q.out) < lines(full.out));
    CHECK(ix_run("verify " + sh_quote(cut.string()), t.path()).exit_code == 1);
    // zstd's magic and then garbage: a bundle of which nothing can be read is a usage error.
    const auto junk = t / "junk.tar.zst";
    write_file(junk, std::string{"\x28\xB5\x2F\xFD"} + std::string(4096, 'x'));
    const auto j = ix_run("query " + sh_quote(junk.string()), t.path());
    CHECK(j.exit_code == 2);
  }
  // A flipped byte inside a plain tar's segment member: the checksum names the member, the
  // frame it hit is reported as damage, every other record is read.
  const auto b = t / "d.tar";
  auto bytes = read_file(b);
  const auto seg = bytes.find("events/segment-");
  REQUIRE(seg != std::string::npos);
  const auto pos = (seg / 512 + 1) * 512 + 4096;  // inside the member's data
  bytes[pos] = static_cast<char>(bytes[pos] ^ 0x5A);
  const auto flipped = t / "flipped.tar";
  write_file(flipped, bytes);
  const auto v = ix_run("verify " + sh_quote(flipped.string()), t.path());
  INFO(v.out << v.err);
  CHECK(v.exit_code == 1);
  CHECK(v.err.find("checksum mismatch") != std::string::npos);
  CHECK(v.err.find("flipped.tar:stores/0/") != std::string::npos);
  const auto q = ix_run("query " + sh_quote(flipped.string()) + " -o jsonl", t.path());
  CHECK(lines(q.out) >= lines(full.out) - 2);
  CHECK(lines(q.out) < lines(full.out));
}

TEST_CASE("bundle usage errors name the argument", "[bundle][cli]") {
  temp_dir t;
  const auto s = sh_quote(demo_store(t).string());
  const auto no_o = ix_run("bundle " + s, t.path());
  CHECK(no_o.exit_code == 2);
  CHECK(no_o.err.find("-o FILE") != std::string::npos);
  const auto not_store = ix_run("bundle " + sh_quote(t.path().string()) + " -o x.tar", t.path());
  CHECK(not_store.exit_code == 2);
  CHECK(not_store.err.find("not a stream store") != std::string::npos);
}

TEST_CASE("a tiny-tier store (JSON lines) bundles redacted, and reads like the store",
          "[bundle][cli]") {
  temp_dir t;
  const auto dir = t / "tiny";
  fs::create_directories(dir);
  const std::int64_t t0 = 1'767'225'600LL * 1'000'000'000;
  std::string text;
  ix::jsonl_encoder enc{"tiny-1"};
  std::vector<ix::field_view> fv;
  auto put = [&](const ix::record& r) { enc.encode(ix::view_of(r, fv), text); };
  for (int i = 0; i < 3000; ++i)
    put(rec(t0 + i * 1'000'000'000LL, ix::record_kind::metric, "queue.depth",
            static_cast<double>(i % 97)));
  put(rec(t0 + 10, ix::record_kind::notification, "http call failed", std::string{"retry"},
          {{"header", std::string{"Authorization: Bearer tiny-planted-token-7"}}}));
  put(rec(t0 + 20, ix::record_kind::snapshot, "/app/db/password", std::string{"tiny-etcd-pw-9"}));
  write_file(dir / "tiny-1-00000001.jsonl", text);
  const auto s = sh_quote(dir.string());
  const auto full = ix_run("query " + s + " -o jsonl", t.path());
  REQUIRE(lines(full.out) == 3002);
  const auto b = t / "tiny.tar";
  const auto made = ix_run("bundle " + s + " -o " + sh_quote(b.string()), t.path());
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  const auto bytes = read_file(b);
  CHECK(bytes.find("tiny-planted-token-7") == std::string::npos);
  CHECK(bytes.find("tiny-etcd-pw-9") == std::string::npos);
  CHECK(bytes.find("\"records\": 3002") != std::string::npos);
  CHECK(bytes.find("\"bearer-token\": 1") != std::string::npos);
  CHECK(bytes.find("\"key-pattern\": 1") != std::string::npos);
  const auto from_bundle = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
  CHECK(from_bundle.exit_code == 0);
  CHECK(lines(from_bundle.out) == 3002);
  CHECK(from_bundle.out.find("Bearer ****") != std::string::npos);
  for (const char* cmd : {"summary"})
    CHECK(ix_run(std::string{cmd} + " " + sh_quote(b.string()), t.path()).exit_code == 0);
  CHECK(ix_run("query " + sh_quote(b.string()) + " --agg count", t.path()).out ==
        ix_run("query " + s + " --agg count", t.path()).out);
#if defined(INTROSPECT_TEST_HAS_ZSTD)
  // A zstd bundle smaller than one read (64 KiB), cut short: what came out is read, and the
  // error says the data is cut.
  const auto z = t / "tiny.tar.zst";
  REQUIRE(ix_run("bundle " + s + " -o " + sh_quote(z.string()), t.path()).exit_code == 0);
  const auto zb = read_file(z);
  REQUIRE(zb.size() < 64 * 1024);
  const auto cut = t / "cut.tar.zst";
  write_file(cut, zb.substr(0, zb.size() * 7 / 10));
  const auto q = ix_run("query " + sh_quote(cut.string()) + " -o jsonl", t.path());
  INFO(q.err);
  CHECK(q.exit_code != 2);
  CHECK(q.err.find("cut short") != std::string::npos);
  CHECK(lines(q.out) > 0);
  CHECK(lines(q.out) < 3002);
#endif
}

#if defined(INTROSPECT_TEST_HAS_SQLITE_EXT)
TEST_CASE("the SQLite extension attaches a bundle as it attaches a store", "[bundle][sql]") {
  temp_dir t;
  const auto& store = demo_store(t);
  const auto b = t / "case.tar.zst";
  REQUIRE(ix_run("bundle " + sh_quote(store.string()) + " -o " + sh_quote(b.string()), t.path())
              .exit_code == 0);
  const std::string ext = INTROSPECT_TEST_BIN_DIR "/libintrospect_sqlite.so";
  auto count = [&](const fs::path& p) {
    return run_shell("TMPDIR=" + sh_quote(t.path().string()) + " sqlite3 -batch :memory: '.load " +
                         ext + "' \"SELECT introspect_attach('" + p.string() +
                         "')\" 'SELECT count(*), max(ts) FROM metric' 'SELECT count(*) FROM state'",
                     t.path());
  };
  const auto from_store = count(store), from_bundle = count(b);
  INFO(from_store.err << from_bundle.err);
  CHECK(from_store.exit_code == 0);
  CHECK(from_bundle.exit_code == 0);
  CHECK(lines(from_bundle.out) == 3);
  CHECK(from_bundle.out == from_store.out);
  // The extracted copy is removed when the connection closes.
  for (const auto& e : fs::directory_iterator(t.path()))
    CHECK(e.path().filename().string().find("introspect-bundle-") == std::string::npos);
}
#endif

namespace {

// A store whose sealed segments are compressed (the default seal codec, small segments): 40 000
// metrics, and 2 000 events whose sealed segments hold a bearer token (one of them) and
// snapshots with nothing secret (that the redaction's pre-check looks at and leaves).
const std::string compressed_token = "PLANTEDCOMPRESSEDTOKEN.42";
constexpr std::size_t compressed_records = 40000 + 2000;

void write_compressed_store(const fs::path& root) {
  ix::store::writer w(root, "node-1");
  ix::store::stream_options mo, eo;
  mo.segment_bytes = 256 << 10;
  eo.segment_bytes = 32 << 10;
  REQUIRE(mo.seal != ix::store::seal_codec::none);
  const auto metrics = w.stream("metric", mo), events = w.stream("events", eo);
  std::string payload;
  std::vector<ix::field_view> fv;
  auto put = [&](ix::store::stream_id s, const ix::record& r) {
    payload.clear();
    ix::codec::encode(ix::view_of(r, fv), payload);
    REQUIRE(w.append(s, r.ts_ns, static_cast<std::uint8_t>(r.kind), payload));
  };
  for (int i = 0; i < 40000; ++i) {
    const auto ts = epoch_ns + i * ms;
    put(metrics, rec(ts, ix::record_kind::metric, "disk.used." + std::to_string(i % 8),
                     static_cast<double>(i % 1000)));
    if (i % 20) continue;
    const int e = i / 20;
    if (e == 300)
      put(events, rec(ts, ix::record_kind::notification, "upstream refused", ix::value{},
                      {{"header", "Authorization: Bearer " + compressed_token}}));
    else if (e % 50 == 7)
      put(events, rec(ts, ix::record_kind::snapshot, "/app/config/replicas",
                      std::string{"keep-this-3"}, {{"revision", std::int64_t{e}}}));
    else
      put(events, rec(ts, ix::record_kind::state, "container/" + std::to_string(e % 4),
                      std::string{e % 3 ? "RUNNING" : "STARTING"}));
  }
  w.flush();
  w.wait_compaction();
}

bool compressed_file(const std::string& bytes) {
  return bytes.size() >= 8 &&
         std::memcmp(bytes.data(), ix::store::detail::compressed_magic, 8) == 0;
}

std::uint64_t bytes_under(const fs::path& dir) {
  std::uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// Per segment of the store: whether it is compressed, and whether the bundle (extracted in
// `x`) carries it byte for byte.
struct segment_fate {
  std::size_t compressed = 0, carried = 0, expanded = 0;
  std::vector<std::string> expanded_streams;
};
segment_fate fates(const fs::path& store, const fs::path& x) {
  segment_fate f;
  for (const auto& e : fs::recursive_directory_iterator(store)) {
    if (e.path().extension() != ".log") continue;
    const auto bytes = read_file(e.path());
    if (!compressed_file(bytes)) continue;
    ++f.compressed;
    const auto member = x / "stores" / "0" / fs::relative(e.path(), store);
    if (!fs::exists(member)) continue;  // outside a window
    const auto got = read_file(member);
    if (got == bytes) {
      ++f.carried;
    } else {
      ++f.expanded;
      CHECK(!compressed_file(got));
      f.expanded_streams.push_back(e.path().parent_path().filename().string());
    }
  }
  return f;
}

}  // namespace

TEST_CASE("compressed sealed segments travel compressed unless a frame is redacted",
          "[bundle][cli][compressed]") {
  temp_dir t;
  const auto root = t / "compressed";
  write_compressed_store(root);
  const auto rs = sh_quote(root.string());
  const auto store_bytes = bytes_under(root);
  // What the frames would take expanded: the test can tell carried from expanded by size.
  std::uint64_t expanded_bytes = 0, files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) {
      ++files;
      expanded_bytes +=
          e.path().extension() == ".log" ? ix::store::raw_segment_size(e.path()) : e.file_size();
    }
  INFO("store " << store_bytes << " bytes, " << files << " files; expanded " << expanded_bytes);
  REQUIRE(expanded_bytes > 2 * store_bytes);
  const auto from_store = ix_run("query " + rs + " -o jsonl", t.path());
  REQUIRE(lines(from_store.out) == compressed_records);
  REQUIRE(from_store.out.find(compressed_token) != std::string::npos);
  // Tar overhead: a header block and padding per member (pax headers for long names), the
  // verify report, SHA256SUMS, the manifest and the end-of-archive blocks.
  const auto bound = store_bytes + (files + 3) * 4096 + 16384;

  SECTION("redaction off: every sealed segment is carried, the bundle reads as the store") {
    const auto b = t / "open.tar";
    const auto made = ix_run("bundle " + rs + " --no-redact -o " + sh_quote(b.string()), t.path());
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(fs::file_size(b) <= bound);
    const auto x = t / "x";
    fs::create_directories(x);
    REQUIRE(run_shell("tar -xf " + sh_quote(b.string()) + " -C " + sh_quote(x.string()), t.path())
                .exit_code == 0);
    const auto f = fates(root, x);
    CHECK(f.compressed >= 6);
    CHECK(f.carried == f.compressed);
    const auto from_bundle = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
    CHECK(from_bundle.err.empty());
    CHECK(from_bundle.out == from_store.out);
    // The manifest counts the carried segments' frames from their decode.
    const auto manifest = read_file(x / "manifest.json");
    INFO(manifest);
    CHECK(manifest.find("\"records\": " + std::to_string(compressed_records) + ",") !=
          std::string::npos);
    CHECK(manifest.find("\"metric\": 40000") != std::string::npos);
    CHECK(manifest.find("\"first\": \"2026-01-01T00:00:00.000000000Z\"") != std::string::npos);
    CHECK(manifest.find("\"last\": \"2026-01-01T00:00:39.999000000Z\"") != std::string::npos);
    CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 0);
  }

  SECTION("the segment holding a token is expanded and redacted; the others are carried") {
    const auto b = t / "case.tar";
    const auto made = ix_run("bundle " + rs + " -o " + sh_quote(b.string()), t.path());
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(fs::file_size(b) <= bound + (32 << 10));  // one segment expanded
    CHECK(read_file(b).find(compressed_token) == std::string::npos);
    const auto x = t / "x";
    fs::create_directories(x);
    REQUIRE(run_shell("tar -xf " + sh_quote(b.string()) + " -C " + sh_quote(x.string()), t.path())
                .exit_code == 0);
    const auto f = fates(root, x);
    CHECK(f.expanded == 1);
    CHECK(f.expanded_streams == std::vector<std::string>{"events"});
    CHECK(f.carried + 1 == f.compressed);
    // The bundle reads as the store with the token's bytes masked, and nothing else changed.
    const auto from_bundle = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
    CHECK(from_bundle.out.find(compressed_token) == std::string::npos);
    auto want = from_store.out;
    want.replace(want.find(compressed_token), compressed_token.size(),
                 std::string(compressed_token.size(), '*'));
    CHECK(from_bundle.out == want);
    const auto manifest = read_file(x / "manifest.json");
    INFO(manifest);
    CHECK(manifest.find("\"bearer-token\": 1") != std::string::npos);
    CHECK(manifest.find("\"records\": " + std::to_string(compressed_records) + ",") !=
          std::string::npos);
    CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 0);
  }

  SECTION("a damaged compressed segment is expanded with its damage zeroed") {
    std::vector<fs::path> segs;
    for (const auto& e : fs::directory_iterator(root / "node-1" / "metric"))
      if (e.path().extension() == ".log") segs.push_back(e.path());
    std::sort(segs.begin(), segs.end());
    REQUIRE(!segs.empty());
    auto bytes = read_file(segs[0]);
    REQUIRE(compressed_file(bytes));
    bytes[200] = static_cast<char>(bytes[200] ^ 0x5a);  // inside the first block
    write_file(segs[0], bytes);
    const auto b = t / "damaged.tar";
    const auto made = ix_run("bundle " + rs + " -o " + sh_quote(b.string()), t.path());
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    CHECK(made.out.find("verify: 1 damaged") != std::string::npos);
    const auto x = t / "x";
    fs::create_directories(x);
    REQUIRE(run_shell("tar -xf " + sh_quote(b.string()) + " -C " + sh_quote(x.string()), t.path())
                .exit_code == 0);
    const auto f = fates(root, x);
    CHECK(f.expanded == 2);  // the damaged one and the one holding the token
    CHECK(std::count(f.expanded_streams.begin(), f.expanded_streams.end(), "metric") == 1);
    CHECK(read_file(x / "verify.txt").find("block checksum mismatch") != std::string::npos);
    // The bundle reads as the damaged store does (the token masked): the same records lost.
    auto want = ix_run("query " + rs + " -o jsonl", t.path()).out;
    const auto got = ix_run("query " + sh_quote(b.string()) + " -o jsonl", t.path());
    CHECK(lines(want) < compressed_records);
    want.replace(want.find(compressed_token), compressed_token.size(),
                 std::string(compressed_token.size(), '*'));
    CHECK(got.out == want);
    CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 1);
  }

  SECTION("a window cutting a compressed segment expands that one and reads as the store") {
    const auto b = t / "window.tar.zst";
    const std::string win = " --since @1767225620.5";  // 2026-01-01T00:00:20.5Z
    const auto made = ix_run("bundle " + rs + win + " -o " + sh_quote(b.string()), t.path());
    INFO(made.out << made.err);
    REQUIRE(made.exit_code == 0);
    const auto want = ix_run("query " + rs + win + " -o jsonl", t.path());
    const auto got = ix_run("query " + sh_quote(b.string()) + win + " -o jsonl", t.path());
    CHECK(lines(want.out) > 10000);
    CHECK(got.out == want.out);
    const auto first = ix_run("query " + sh_quote(b.string()) + " -o jsonl --limit 1", t.path());
    CHECK(first.out.substr(0, 40) >= std::string{"{\"ts\":\"2026-01-01T00:00:20.5"});
    const auto x = t / "x";
    fs::create_directories(x);
    REQUIRE(
        run_shell("zstd -dc " + sh_quote(b.string()) + " | tar -xf - -C " + sh_quote(x.string()),
                  t.path())
            .exit_code == 0);
    // The cut segments (one per stream) are expanded, under a new name; the whole ones after
    // the cut are carried.
    const auto f = fates(root, x);
    CHECK(f.carried >= 2);
    std::size_t cut = 0;
    for (const auto& e : fs::recursive_directory_iterator(x / "stores"))
      if (e.path().extension() == ".log" &&
          !fs::exists(root / fs::relative(e.path(), x / "stores" / "0"))) {
        ++cut;
        CHECK(!compressed_file(read_file(e.path())));
      }
    CHECK(cut == 2);
    CHECK(ix_run("verify " + sh_quote(b.string()), t.path()).exit_code == 0);
  }
}
