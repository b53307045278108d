// introspect compact: compresses the sealed raw segments of a stream store offline (format
// 1.3's columnar blocks, then zstd when this build has it), as a writer's compactor thread does
// online. For a store a writer left raw: an older version's, or one whose compactor was stopped
// or fell behind. Each rewrite is crash-safe (a temporary file renamed over the segment), and
// damaged segments are left as they are, for verify. It takes each scope's writer lock, so it
// refuses to run beside a live writer, naming its pid.
#include <cstring>
#include <string>
#include <vector>

#include <introspect/format/terminal_text.hpp>
#include <introspect/query/read/stream_store.hpp>
#include <introspect/store/compaction.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/lock_file.hpp>
#include <introspect/store/writer.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

namespace st = introspect::store;
namespace fs = std::filesystem;

struct compact_totals {
  std::uint64_t compacted = 0, already = 0, left_raw = 0, failed = 0;
};

std::string safe(const fs::path& p) { return ix::terminal_safe(p.string()); }

// Bytes of the scope's segment files, as du counts them (what the compaction saves).
std::uint64_t segment_bytes(const fs::path& scope_dir, const std::vector<std::string>& streams) {
  std::uint64_t n = 0;
  for (const auto& s : streams)
    for (const auto& seg : st::detail::list_segments(scope_dir / s)) {
      std::error_code ec;
      const auto size = fs::file_size(seg.log, ec);
      if (!ec) n += size;
    }
  return n;
}

// Every segment of the stream but its last (the active one) is sealed.
void compact_stream(const fs::path& dir, const st::compaction_options& o, compact_totals& t) {
  std::vector<st::read_error> errors;
  const auto segs = st::detail::list_segments(dir, nullptr, &errors);
  for (const auto& e : errors) {
    std::fprintf(stderr, "introspect: cannot compact %s: %s\n", safe(e.path).c_str(),
                 e.message().c_str());
    ++t.failed;
  }
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    const auto r = st::compact_segment(segs[i].log, segs[i].first, o);
    if (r.compacted) {
      ++t.compacted;
    } else if (r.error) {
      ++t.failed;
      std::fprintf(stderr, "introspect: cannot compact %s: %s (the raw segment is kept)\n",
                   safe(segs[i].log).c_str(), std::strerror(r.error));
    } else if (r.skipped == "already compressed") {
      ++t.already;
    } else {
      ++t.left_raw;
      std::fprintf(stderr, "introspect: %s left raw: %s\n", safe(segs[i].log).c_str(),
                   r.skipped.c_str());
    }
  }
}

// --seal-active: a writer opens the scope (the recovery every writer does: torn tails cut),
// seals each stream's active segment that holds a record, and waits for its compactor.
void seal_scope(const fs::path& root, const std::string& scope, const st::compaction_options& o,
                const std::vector<std::string>& streams, compact_totals& t) {
  st::writer_options wo;
  wo.close_seal_bytes = st::detail::segment_header_size + 1;
  wo.close_compaction_budget = std::chrono::milliseconds(0);  // waited for below
  st::writer w(root, scope, wo);
  st::stream_options so;
  so.seal = o.codec;
  for (const auto& s : streams) w.stream(s, so);
  w.close();
  w.wait_compaction();
  const auto c = w.compaction();
  t.compacted += c.compacted;
  t.failed += c.failed;
  if (!c.last_error.empty())
    std::fprintf(stderr, "introspect: cannot %s (the raw segment is kept)\n",
                 ix::terminal_safe(c.last_error).c_str());
}

}  // namespace

int cmd_compact(const std::string& store_arg, const std::string& codec, bool seal_active) {
  fs::path root{store_arg};
  std::vector<std::string> scopes;
  if (qread::is_stream_store_scope(root)) {  // a scope directory given directly
    scopes.push_back(root.filename().string());
    root = root.parent_path();
  } else if (!qread::is_stream_store(root)) {
    std::error_code ec;
    const bool exists = fs::exists(root, ec);
    throw usage_error{
        "STORE \"" + store_arg + "\": " +
        (exists ? "not a stream store (compact works on stream stores; a tiny "
                  "store's JSON lines are compressed with any tool)"
                : std::string("cannot open: ") + std::strerror(ec ? ec.value() : ENOENT))};
  }
  st::compaction_options o;
  if (codec == "columns")
    o.codec = st::seal_codec::columns;
  else if (codec == "zstd")
    o.codec = st::seal_codec::columns_zstd;  // columns alone in a build without libzstd
  else if (codec != "auto")
    throw usage_error{"--codec \"" + codec + "\": expected auto, columns or zstd"};
  const st::reader rd(root);
  if (scopes.empty()) scopes = rd.scopes();
  compact_totals t;
  std::uint64_t before = 0, after = 0;
  int rc = 0;
  for (const auto& scope : scopes) {
    const auto scope_dir = root / scope;
    const auto streams = rd.stream_names(scope);
    before += segment_bytes(scope_dir, streams);
    try {
      if (seal_active) seal_scope(root, scope, o, streams, t);
      // The writer's lock for the whole scope: no writer may seal or remove segments meanwhile.
      const st::lock_file lock(scope_dir / std::string(st::detail::lock_name));
      for (const auto& s : streams) compact_stream(scope_dir / s, o, t);
    } catch (const st::lock_error& e) {
      std::fprintf(stderr,
                   "introspect: cannot compact %s: a writer (pid %d) holds it; compact it once "
                   "that writer has stopped (its own compactor works on it meanwhile)\n",
                   safe(scope_dir).c_str(), static_cast<int>(e.holder_pid()));
      rc = 1;
    } catch (const st::store_error& e) {
      std::fprintf(stderr, "introspect: cannot compact %s: %s\n", safe(scope_dir).c_str(),
                   e.what());
      rc = 1;
    }
    after += segment_bytes(scope_dir, streams);
  }
  using ull = unsigned long long;
  std::printf(
      "%llu segment(s) compacted, %llu already compressed, %llu left raw, %llu failed; "
      "segments %llu -> %llu bytes\n",
      static_cast<ull>(t.compacted), static_cast<ull>(t.already), static_cast<ull>(t.left_raw),
      static_cast<ull>(t.failed), static_cast<ull>(before), static_cast<ull>(after));
  return t.failed ? 1 : rc;
}

}  // namespace ixcli
