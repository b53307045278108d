// introspect truncate: durably hides a stream's records before a time (store::writer::truncate),
// honoured by every reader afterwards. It takes the scope's writer lock, so it refuses to run
// while a live writer holds it, naming that writer's pid.
#include <algorithm>

#include <introspect/core/clock.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/format/terminal_text.hpp>
#include <introspect/query/read/stream_store.hpp>
#include <introspect/store/writer.hpp>

#include "common.hpp"

namespace ixcli {

namespace {

// What a truncation at `before_ns` hides: the records a reader sees now whose time is before it
// (the reader already leaves out what an earlier truncation hid).
struct hidden_records {
  std::uint64_t count = 0;
  std::int64_t first_ts = 0, last_ts = 0;
};

hidden_records count_hidden(const introspect::store::reader& rd, const std::string& scope,
                            const std::string& stream, std::int64_t before_ns) {
  hidden_records h;
  auto c = rd.open(scope, stream);
  introspect::store::frame_view v;
  while (c.next(v)) {
    if (v.ts_ns >= before_ns) continue;
    if (h.count == 0 || v.ts_ns < h.first_ts) h.first_ts = v.ts_ns;
    if (h.count == 0 || v.ts_ns > h.last_ts) h.last_ts = v.ts_ns;
    ++h.count;
  }
  for (const auto& e : c.stats().errors)
    std::fprintf(stderr, "introspect: warning: %s (its records are not counted)\n",
                 ix::terminal_safe(e.message()).c_str());
  return h;
}

std::string describe(const hidden_records& h) {
  if (h.count == 0) return "no visible record";
  return std::to_string(h.count) + " record(s) from " + ix::format_rfc3339(h.first_ts) + " to " +
         ix::format_rfc3339(h.last_ts);
}

}  // namespace

int cmd_truncate(const std::string& store_arg, const std::string& stream, const std::string& before,
                 const std::string& scope_arg, bool dry_run) {
  const auto before_ns = parse_time_option("--before", before, ix::realtime_ns());
  std::filesystem::path root{store_arg};
  std::string scope = scope_arg;
  if (qread::is_stream_store_scope(root)) {  // a scope directory given directly
    if (!scope.empty() && scope != root.filename().string())
      throw usage_error{"--scope \"" + scope + "\": STORE \"" + store_arg + "\" is the scope \"" +
                        root.filename().string() + "\""};
    scope = root.filename().string();
    root = root.parent_path();
  } else if (!qread::is_stream_store(root)) {
    throw usage_error{"STORE \"" + store_arg +
                      "\": not a stream store (truncate works on stream stores; a tiny store's "
                      "files are removed by hand)"};
  }
  const introspect::store::reader rd(root);
  const auto scopes = rd.scopes();
  if (scope.empty()) {
    if (scopes.size() != 1) {
      std::string list;
      for (const auto& s : scopes) list += (list.empty() ? "" : ", ") + s;
      throw usage_error{"--scope: STORE \"" + store_arg + "\" has several scopes (" + list +
                        "): name one"};
    }
    scope = scopes.front();
  } else if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) {
    throw usage_error{"--scope \"" + scope + "\": no such scope in \"" + store_arg + "\""};
  }
  const auto names = rd.stream_names(scope);
  if (std::find(names.begin(), names.end(), stream) == names.end()) {
    std::string list;
    for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
    throw usage_error{"--stream \"" + stream + "\": no such stream in scope \"" + scope +
                      "\" (streams: " + list + ")"};
  }
  const auto hidden = count_hidden(rd, scope, stream, before_ns);
  const auto safe_name = ix::terminal_safe(scope + "/" + stream);
  if (dry_run) {
    std::printf("%s: truncating before %s would hide %s\n", safe_name.c_str(),
                ix::format_rfc3339(before_ns).c_str(), describe(hidden).c_str());
    return 0;
  }
  try {
    introspect::store::writer w(root, scope);
    const auto id = w.stream(stream);
    w.truncate(id, before_ns);
    const auto t = w.truncation(id);
    std::fprintf(stderr,
                 "introspect: %s truncated: records before %s (and before offset %llu) are "
                 "hidden: %s\n",
                 safe_name.c_str(), ix::format_rfc3339(t.ts_ns).c_str(),
                 static_cast<unsigned long long>(t.offset), describe(hidden).c_str());
  } catch (const introspect::store::lock_error& e) {
    std::fprintf(stderr,
                 "introspect: cannot truncate %s/%s: a writer (pid %d) holds the store: %s\n",
                 scope.c_str(), stream.c_str(), static_cast<int>(e.holder_pid()), e.what());
    return 1;
  } catch (const introspect::store::store_error& e) {
    std::fprintf(stderr, "introspect: cannot truncate %s/%s: %s\n", scope.c_str(), stream.c_str(),
                 e.what());
    return 1;
  }
  return 0;
}

}  // namespace ixcli
