// introspect report: one self-contained HTML page (report/html.hpp) from the same pass as the
// summary: written to FILE.tmp and renamed, 0640 under the umask. Plots are inline SVG made
// here, cut to min/max per pixel column; the page has no script and fetches nothing.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <introspect/report/html.hpp>

#include "common.hpp"
#include "report_input.hpp"
#include "support.hpp"

namespace ixcli {

int cmd_report(const filter_args& fa, const std::string& output, std::size_t top) {
  if (output.empty() || output == "-")
    throw usage_error{"report: -o FILE.html is required (the page is one file)"};
  const auto start = std::chrono::steady_clock::now();
  const auto input = read_for_report(fa);
  ix::report::html_options opt;
  opt.top_metrics = top;
  std::string src;
  for (const auto& s : fa.stores) src += (src.empty() ? "" : ", ") + s;
  opt.source = src;
  opt.title = "introspect report: " + std::filesystem::path(fa.stores.front()).filename().string();
  const auto page = ix::report::html_page(input.result, input.damage, opt);
  const std::string tmp = output + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) throw usage_error{"report: cannot write " + tmp + ": " + std::strerror(errno)};
  std::size_t done = 0;
  while (done < page.size()) {
    const auto n = ::write(fd, page.data() + done, page.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw usage_error{"report: cannot write " + tmp + ": " + std::strerror(err)};
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), output.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw usage_error{"report: cannot rename " + tmp + " to " + output + ": " + std::strerror(err)};
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu insight episodes, %llu records, %.1f KB (%.1f s)\n",
              ix::terminal_safe(output).c_str(), input.result.episodes.size(),
              static_cast<unsigned long long>(input.result.records),
              static_cast<double>(page.size()) / 1e3, secs);
  return input.result.records ? 0 : 1;
}

}  // namespace ixcli
