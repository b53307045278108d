// Followers of tail --follow.
#include "follow.hpp"

#include <filesystem>
#include <system_error>

#include <introspect/core/glob.hpp>
#include <introspect/query/read/jsonl_store.hpp>

namespace ixcli {

void jsonl_follower::poll(std::vector<ix::record>& out) {
  scan();
  for (auto& [path, st] : files_) drain(path, st, out);
  // Files the writer's retention removed are done: close them (their new lines were read).
  std::erase_if(files_, [](const auto& e) {
    std::error_code ec;
    return !std::filesystem::exists(e.first, ec);
  });
}

void jsonl_follower::scan() {
  auto add = [&](const std::filesystem::path& p) {
    if (files_.count(p.string())) return;
    const auto name = p.filename().string();
    const auto instance = qread::parse_jsonl_file_name(name).instance;
    if (!glob_.empty() && !ix::glob_match(glob_, name) && !ix::glob_match(glob_, instance)) return;
    if (!scope_glob_.empty() && !ix::glob_match(scope_glob_, instance)) return;
    state st;
    st.reader = std::make_unique<ix::line_reader>(p);
    st.instance = instance;
    files_.emplace(p.string(), std::move(st));
  };
  for (const auto& f : set_.jsonl_files()) add(f);
  for (const auto& d : set_.jsonl_dirs()) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(d, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      if (it->path().extension() == ".jsonl") add(it->path());
  }
}

// Whole lines only: a line being written stays in the reader until its '\n' arrives.
void jsonl_follower::drain(const std::string& path, state& st, std::vector<ix::record>& out) {
  ix::text_line line;
  ix::record r;
  while (st.reader->next(line)) {
    if (line.overlong) {  // skipped to its end by the reader, never held whole
      log_.report(path, line.number, line.offset,
                  "line of " + std::to_string(line.skipped) + " bytes is longer than the " +
                      std::to_string(st.reader->max_line()) + "-byte limit: skipped");
      continue;
    }
    if (!parser_.parse(line.data, line.size, line.capacity, r, reason_)) {
      log_.report(path, line.number, line.offset, reason_);
      continue;
    }
    if (r.instance.empty()) r.instance = st.instance;
    if (filter_.matches(r)) out.push_back(std::move(r));
  }
}

void stream_follower::poll(std::vector<ix::record>& out) {
  const auto hint = filter_.hint();
  for (const auto& d : store_.streams()) {
    if (cursors_.count(d.path)) continue;
    if (!glob_.empty() && !ix::glob_match(glob_, d.name) && !ix::glob_match(glob_, d.scope))
      continue;
    if (!scope_glob_.empty() && !ix::glob_match(scope_glob_, d.scope)) continue;
    if (!qread::stream_may_hold(d.name, hint)) continue;
    cursors_.emplace(d.path, store_.open_stream(d, hint, log_));
  }
  ix::record r;
  for (auto& [path, src] : cursors_)
    while (src->next(r))
      if (filter_.matches(r)) out.push_back(r);
}

}  // namespace ixcli
