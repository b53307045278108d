#pragma once
//! Writes a support bundle (docs/support.md): one tar file, zstd-compressed when asked (the CLI
//! asks when the name ends in .zst), holding each STORE under `stores/<k>/` (segments copied
//! frame by frame: segment_copy.hpp), `verify.txt` (the stores' integrity check before the
//! copy), `SHA256SUMS` (`sha256sum -c` format) and `manifest.json` last. It writes FILE.tmp and
//! renames it to FILE when everything succeeded.
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <introspect/bundle/detail/member_writer.hpp>
#include <introspect/bundle/jsonl_copy.hpp>
#include <introspect/bundle/manifest.hpp>
#include <introspect/bundle/segment_copy.hpp>
#include <introspect/core/clock.hpp>
#include <introspect/store/files.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/tooling.hpp>
#include <introspect/store/verify.hpp>

namespace introspect::inline v1::bundle {

//! What `make_bundle` is asked for.
struct bundle_options {
  std::vector<std::filesystem::path> stores;  //!< stream-store roots or scope directories
  std::filesystem::path output;
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();
  bool compress = false;  //!< zstd
  int level = 3;          //!< zstd level (1 fastest .. 19)
  redact_options redact;
  std::string tool = "introspect";
  //! Reads a line of a tiny-tier store (a directory of `*.jsonl` files); without it such a
  //! store is refused.
  jsonl_parser parse_jsonl;
};

namespace detail {

namespace fs = std::filesystem;

inline std::string segment_name(store::offset_t first, const char* ext) {
  char b[64];
  std::snprintf(b, sizeof b, "segment-%020llu.%s", static_cast<unsigned long long>(first), ext);
  return b;
}

// One member to write: a small file as it is, or (a piece of) a segment.
struct planned_member {
  std::string name;
  fs::path source;
  bool segment = false;
  store::offset_t first = 0, new_first = 0;
  std::uint64_t from = 0, to = 0;  // segment file positions
  std::uint64_t size = 0;
  bool jsonl = false;  // a tiny-tier file: copied line by line (jsonl_copy.hpp)
};

inline std::int64_t mtime_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
}

inline std::uint64_t size_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

inline bool is_regular(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The members of one stream: its segments (whole, or cut to the window) and control files.
inline void plan_stream(const fs::path& dir, const std::string& prefix, const bundle_options& o,
                        std::vector<planned_member>& out, manifest& m) {
  namespace sd = store;
  std::vector<store::foreign_file> foreign;
  std::vector<store::read_error> errors;
  const auto segs = sd::list_segments(dir, &foreign, &errors);
  for (const auto& f : foreign)
    m.excluded.push_back({prefix + f.path.filename().string(), f.reason});
  const bool window = m.windowed();
  bool last_cut = false;
  if (!window) {
    for (const auto& s : segs) {
      const auto size = store::raw_segment_size(s.log);
      out.push_back({prefix + s.log.filename().string(), s.log, true, s.first, s.first,
                     sd::segment_header_size,
                     std::max<std::uint64_t>(size, sd::segment_header_size),
                     std::max<std::uint64_t>(size, sd::segment_header_size)});
      if (is_regular(s.idx))
        out.push_back(
            {prefix + s.idx.filename().string(), s.idx, false, 0, 0, 0, 0, size_of(s.idx)});
    }
  } else {
    // The window in the stream's offsets: from the first frame at or after `since` to the end
    // of the last frame before `until`; everything in between is kept (frame boundaries).
    struct seg_frames {
      const sd::segment_file* seg;
      std::vector<frame_place> frames;
    };
    std::vector<seg_frames> all;
    bool last_whole = false;  // the last (active) segment goes whole
    for (const auto& s : segs) {
      int err = 0;
      all.push_back({&s, frame_places(s.log, s.first, err)});
      if (err) m.excluded.push_back({prefix + s.log.filename().string(), std::strerror(err)});
    }
    std::uint64_t p0 = std::numeric_limits<std::uint64_t>::max(), p1 = 0;
    for (const auto& sf : all)
      for (const auto& f : sf.frames) {
        const auto off = sf.seg->first + (f.pos - sd::segment_header_size);
        if (f.ts_ns >= o.since_ns && p0 == std::numeric_limits<std::uint64_t>::max()) p0 = off;
        if (f.ts_ns < o.until_ns && p0 != std::numeric_limits<std::uint64_t>::max())
          p1 = off + f.size;
      }
    for (std::size_t i = 0; p0 < p1 && i < all.size(); ++i) {
      const auto& s = *all[i].seg;
      const auto seg_end = s.first + (std::max<std::uint64_t>(store::raw_segment_size(s.log),
                                                              sd::segment_header_size) -
                                      sd::segment_header_size);
      const auto a = std::max(p0, s.first), b = std::min(p1, seg_end);
      if (a >= b) continue;
      const bool whole = a == s.first && b == seg_end;
      const std::uint64_t from = a - s.first + sd::segment_header_size;
      const std::uint64_t to = b - s.first + sd::segment_header_size;
      out.push_back({prefix + segment_name(a, "log"), s.log, true, s.first, a, from, to,
                     sd::segment_header_size + (to - from)});
      // An index describes a whole segment: a cut one goes without (readers scan it).
      if (whole && is_regular(s.idx))
        out.push_back(
            {prefix + s.idx.filename().string(), s.idx, false, 0, 0, 0, 0, size_of(s.idx)});
      if (i + 1 == all.size()) last_whole = whole;
    }
    // .active goes only with the whole active segment: one the window leaves out (an empty
    // segment opened by the last roll or close holds no frame of any window) or cuts would be
    // reported missing or shorter by verify.
    if (!segs.empty()) last_cut = !last_whole;
  }
  for (const char* n : {".truncation", ".truncation.copy", ".active"}) {
    const auto p = dir / n;
    // .active records the active segment's size: true only when that segment is whole.
    if (std::string_view{n} == ".active" && last_cut) continue;
    if (is_regular(p)) out.push_back({prefix + n, p, false, 0, 0, 0, 0, size_of(p)});
  }
}

// The members of one scope: its marker, metadata blobs and streams.
inline void plan_scope(const fs::path& dir, const std::string& prefix, const bundle_options& o,
                       std::vector<planned_member>& out, manifest& m) {
  namespace sd = store;
  if (is_regular(dir / ".scope"))
    out.push_back({prefix + ".scope", dir / ".scope", false, 0, 0, 0, 0, size_of(dir / ".scope")});
  std::vector<store::foreign_file> foreign;
  std::vector<store::read_error> errors;
  for (const auto& name : sd::list_meta(dir, &foreign, &errors)) {
    const auto p = dir / sd::meta_dir / name;
    out.push_back({prefix + ".meta/" + name, p, false, 0, 0, 0, 0, size_of(p)});
  }
  for (const auto& st : sd::list_streams(dir, &foreign, &errors))
    plan_stream(st.dir, prefix + st.name + "/", o, out, m);
  for (const auto& f : foreign)
    m.excluded.push_back({prefix + fs::relative(f.path, dir).string(), f.reason});
  for (const auto& e : errors)
    throw bundle_error("cannot " + e.action + " " + e.path.string() + ": " + std::strerror(e.err));
}

inline bool is_jsonl_store(const fs::path& dir) {
  std::error_code ec;
  if (store::is_scope(dir) || !fs::is_directory(dir, ec)) return false;
  std::vector<store::foreign_file> foreign;
  std::vector<store::read_error> errors;
  if (!store::list_scopes(dir, &foreign, &errors, nullptr).empty()) return false;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".jsonl" && is_regular(it->path())) return true;
  return false;
}

// A tiny-tier store: its `*.jsonl` files, in name order; false when `dir` is none.
inline bool plan_jsonl(const fs::path& dir, const std::string& prefix, const bundle_options& o,
                       std::vector<planned_member>& out, manifest& m) {
  if (!is_jsonl_store(dir)) return false;
  if (!o.parse_jsonl)
    throw bundle_error(dir.string() +
                       ": a tiny-tier store (JSON lines), and this build cannot "
                       "read one");
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".jsonl" && is_regular(p))
      files.push_back(p);
    else
      m.excluded.push_back({prefix + p.filename().string(), "not a JSON-lines file of this store"});
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    planned_member pm;
    pm.name = prefix + f.filename().string();
    pm.source = f;
    pm.jsonl = true;
    out.push_back(std::move(pm));
  }
  return true;
}

inline std::string verify_lines(const store::verify_report& r, const fs::path& root,
                                const std::string& prefix) {
  auto rel = [&](const fs::path& p) {
    auto s = fs::relative(p, root).string();
    return prefix + (s.empty() || s.starts_with("..") ? p.filename().string() : s);
  };
  std::string o;
  for (const auto& d : r.damages)
    o += fmt::format("{}@{}: {} ({} bytes)\n", rel(d.path), d.file_offset, d.reason, d.bytes);
  for (const auto& e : r.errors)
    o += fmt::format("{}: cannot {}: {}\n", rel(e.path), e.action, std::strerror(e.err));
  for (const auto& d : r.torn_tails)
    o += fmt::format("{}@{}: note: {} ({} bytes; a writer cuts it when it reopens)\n", rel(d.path),
                     d.file_offset, d.reason, d.bytes);
  for (const auto& f : r.foreign)
    o += fmt::format("{}: foreign: {} (ignored, not bundled)\n", rel(f.path), f.reason);
  return o;
}

}  // namespace detail

//! Writes the bundle and returns its manifest. Throws bundle_error naming the path and the
//! cause; the temporary file is then removed, and nothing is left at the output path.
inline manifest make_bundle(const bundle_options& o,
                            const std::function<void(std::uint64_t)>& progress = {}) {
  namespace fs = std::filesystem;
  namespace sd = store;
  manifest m;
  m.tool = o.tool;
  m.created = format_rfc3339(realtime_ns());
  m.since_ns = o.since_ns;
  m.until_ns = o.until_ns;
  m.redaction = o.redact.enabled;
  m.key_patterns = o.redact.key_patterns;
  std::vector<detail::planned_member> plan;
  std::string verify_text;
  std::set<std::string> instances;
  // The verify pass reads everything once more: it runs on its own thread while the copy runs
  // (both read the same files; the second read comes from the page cache).
  std::vector<std::future<store::verify_report>> verifies;
  for (const auto& path : o.stores) {
    const fs::path root = store::is_scope(path) ? path.parent_path() : path;
    if (detail::is_jsonl_store(path))  // nothing for the stream store's verify to check
      verifies.push_back(std::async(std::launch::deferred, [] { return store::verify_report{}; }));
    else
      verifies.push_back(std::async(std::launch::async, [root] { return store::verify(root); }));
  }
  std::vector<std::pair<std::string, bool>> scope_of;  // per store: prefix, given as a scope
  for (std::size_t k = 0; k < o.stores.size(); ++k) {
    const auto& path = o.stores[k];
    m.sources.push_back(path.string());
    const std::string prefix = "stores/" + std::to_string(k) + "/";
    std::error_code ec;
    if (!fs::is_directory(path, ec))
      throw bundle_error(path.string() + ": not a stream store directory");
    if (detail::plan_jsonl(path, prefix, o, plan, m)) {
      scope_of.emplace_back(prefix, false);
      continue;
    }
    // A scope directory is bundled as a store holding that one scope.
    const bool scope = store::is_scope(path);
    std::vector<sd::named_dir> scopes;
    if (scope) {
      scopes.push_back({path.filename().string(), path});
    } else {
      std::vector<store::foreign_file> foreign;
      std::vector<store::read_error> errors;
      scopes = sd::list_scopes(path, &foreign, &errors, nullptr);
      for (const auto& f : foreign)
        m.excluded.push_back({prefix + fs::relative(f.path, path).string(), f.reason});
      for (const auto& e : errors)
        throw bundle_error("cannot " + e.action + " " + e.path.string() + ": " +
                           std::strerror(e.err));
    }
    if (scopes.empty())
      throw bundle_error(path.string() + ": not a stream store (no instance in it)");
    scope_of.emplace_back(prefix, scope);
    for (const auto& sc : scopes) {
      instances.insert(sc.name);
      detail::plan_scope(sc.dir, prefix + sc.name + "/", o, plan, m);
    }
  }
  m.instances.assign(instances.begin(), instances.end());

  const fs::path tmp = o.output.string() + ".tmp";
  struct archive_guard {
    archive* a = archive_write_new();
    fs::path tmp;
    bool done = false;
    ~archive_guard() {
      archive_write_free(a);
      std::error_code ec;
      if (!done) fs::remove(tmp, ec);
    }
  } g{archive_write_new(), tmp};
  archive* a = g.a;
  archive_write_set_format_pax_restricted(a);
  if (o.compress) {
    if (archive_write_add_filter_zstd(a) != ARCHIVE_OK)
      throw bundle_error(std::string{"zstd: "} + archive_error_string(a));
    archive_write_set_filter_option(a, "zstd", "compression-level",
                                    std::to_string(o.level).c_str());
  }
  // 64 KiB writes: the bytes are still in the CPU's cache when the kernel copies them (1 MiB
  // writes cost 10x the system time on the benchmark machine: docs/benchmarks.md).
  archive_write_set_bytes_per_block(a, 64 << 10);
  archive_write_set_bytes_in_last_block(a, 1);
  std::error_code ec;
  fs::remove(tmp, ec);
  if (archive_write_open_filename(a, tmp.c_str()) != ARCHIVE_OK)
    throw bundle_error(tmp.string() + ": " + archive_error_string(a));
  ::chmod(tmp.c_str(), 0640);
  detail::member_writer w(a);
  copy_stats st;
  const auto now_s = realtime_ns() / 1'000'000'000;
  auto add_text = [&](std::string_view name, const std::string& text) {
    w.begin(std::string{name}, text.size(), now_s);
    w.write(text.data(), text.size());
    m.members.push_back({std::string{name}, text.size(), w.end()});
  };
  std::set<std::string> jsonl_instances;
  std::uint64_t jsonl_dropped = 0;
  for (const auto& pm : plan) {
    if (pm.jsonl) {
      int err = 0;
      const auto text = detail::read_whole(pm.source, err);
      if (err) throw bundle_error("cannot read " + pm.source.string() + ": " + std::strerror(err));
      std::string out, inst;
      std::vector<bad_line> bad;
      jsonl_dropped +=
          copy_jsonl(text, o.parse_jsonl, o.redact, st, out, &inst, o.since_ns, o.until_ns, &bad);
      for (auto& b : bad) {  // named like a reader names a bad line: member:line
        verify_text += fmt::format("{}:{}: {} (not a record; left out)\n", pm.name,
                                   b.line, b.why);
        m.verify.damaged_lines.push_back({pm.name, b.line, std::move(b.why)});
      }
      if (!inst.empty()) jsonl_instances.insert(inst);
      w.begin(pm.name, out.size(), detail::mtime_of(pm.source));
      w.write(out.data(), out.size());
      m.members.push_back({pm.name, out.size(), w.end()});
      if (progress) progress(w.total());
      continue;
    }
    if (!pm.segment) {
      int err = 0;
      const auto text = detail::read_whole(pm.source, err);
      if (err) throw bundle_error("cannot read " + pm.source.string() + ": " + std::strerror(err));
      w.begin(pm.name, text.size(), detail::mtime_of(pm.source));
      w.write(text.data(), text.size());
      m.members.push_back({pm.name, text.size(), w.end()});
      continue;
    }
    // A whole compressed segment with nothing to redact or zero travels as its file: decided just
    // before the tar header (the size differs), overlapping the writer thread's previous member.
    const auto carried = carry_segment(pm.source, pm.first, pm.from, pm.to, pm.new_first, o.redact);
    const auto size = carried ? carried->size : pm.size;
    auto emit = [&](const void* p, std::size_t n) { w.write(p, n); };
    w.begin(pm.name, size, detail::mtime_of(pm.source));
    const int err = carried ? copy_carried(*carried, st, emit)
                            : copy_segment(pm.source, pm.first, pm.from, pm.to, pm.new_first,
                                           o.redact, st, emit);
    if (err) throw bundle_error("cannot read " + pm.source.string() + ": " + std::strerror(err));
    m.members.push_back({pm.name, size, w.end()});
    if (progress) progress(w.total());
  }
  for (std::size_t k = 0; k < o.stores.size(); ++k) {
    const auto& path = o.stores[k];
    const auto& [prefix, scope] = scope_of[k];
    const auto rep = verifies[k].get();
    // Only this scope's findings when a scope directory was given.
    store::verify_report mine = rep;
    if (scope) {
      auto keep = [&](auto& v) {
        std::erase_if(v,
                      [&](const auto& d) { return !d.path.string().starts_with(path.string()); });
      };
      keep(mine.damages), keep(mine.errors), keep(mine.torn_tails), keep(mine.foreign);
    }
    const auto root = scope ? path.parent_path() : path;
    verify_text += detail::verify_lines(mine, root, prefix);
    m.verify.clean = m.verify.clean && mine.clean();
    m.verify.damages += mine.damages.size();
    m.verify.errors += mine.errors.size();
    m.verify.torn_tails += mine.torn_tails.size();
    m.verify.foreign += mine.foreign.size();
    m.verify.segments += rep.segments;
    m.verify.records += rep.records;
    m.verify.bytes += rep.bytes;
  }
  if (!jsonl_instances.empty()) {
    instances.insert(jsonl_instances.begin(), jsonl_instances.end());
    m.instances.assign(instances.begin(), instances.end());
  }
  m.verify.damages += jsonl_dropped;
  m.verify.clean = m.verify.clean && jsonl_dropped == 0;
  verify_text += fmt::format("{} segments, {} records, {} bytes, {} damaged, {} unreadable: {}\n",
                             m.verify.segments, m.verify.records, m.verify.bytes, m.verify.damages,
                             m.verify.errors, m.verify.clean ? "clean" : "NOT clean");
  m.records = st.frames;
  for (const auto& [k, n] : st.kinds) {
    const auto name = k >= 1 && k <= 7 ? std::string{to_string(static_cast<record_kind>(k))}
                                       : "kind-" + std::to_string(k);
    m.kinds[name] += n;
  }
  if (st.frames) m.first_ts = st.first_ts, m.last_ts = st.last_ts;
  m.redacted = st.redactions.by_rule;
  m.redacted_records = st.redactions.records;
  m.zeroed_bytes = st.zeroed_bytes;
  add_text(verify_name, verify_text);
  std::string sums;
  for (const auto& mm : m.members) sums += mm.sha256 + "  " + mm.name + "\n";
  add_text(sums_name, sums);
  const auto json = m.to_json();
  w.begin(std::string{manifest_name}, json.size(), now_s);
  w.write(json.data(), json.size());
  w.end();
  if (archive_write_close(a) != ARCHIVE_OK)
    throw bundle_error(tmp.string() + ": " + archive_error_string(a));
  fs::rename(tmp, o.output, ec);
  if (ec)
    throw bundle_error("cannot rename " + tmp.string() + " to " + o.output.string() + ": " +
                       ec.message());
  g.done = true;
  return m;
}

}  // namespace introspect::inline v1::bundle
