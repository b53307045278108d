// introspect truncate: durably hides a stream's records before a time (store::writer::truncate),
// honoured by every reader afterwards. It takes the scope's writer lock, so it refuses to run
// while a live writer holds it, naming that writer's pid.
#include <algorithm>

#include <introspect/core/clock.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/query/stream_store.hpp>
#include <introspect/store/writer.hpp>

#include "common.hpp"

namespace ixcli {

int cmd_truncate(const std::string& store_arg, const std::string& stream, const std::string& before,
                 const std::string& scope_arg) {
  const auto before_ns = parse_time_option("--before", before, ix::realtime_ns());
  std::filesystem::path root{store_arg};
  std::string scope = scope_arg;
  if (ix::is_stream_store_scope(root)) {  // a scope directory given directly
    if (!scope.empty() && scope != root.filename().string())
      throw usage_error{"--scope \"" + scope + "\": STORE \"" + store_arg + "\" is the scope \"" +
                        root.filename().string() + "\""};
    scope = root.filename().string();
    root = root.parent_path();
  } else if (!ix::is_stream_store(root)) {
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
  try {
    introspect::store::writer w(root, scope);
    const auto id = w.stream(stream);
    w.truncate(id, before_ns);
    const auto t = w.truncation(id);
    std::fprintf(stderr,
                 "introspect: %s/%s truncated: records before %s (and before offset %llu) are "
                 "hidden\n",
                 scope.c_str(), stream.c_str(), ix::format_rfc3339(t.ts_ns).c_str(),
                 static_cast<unsigned long long>(t.offset));
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
