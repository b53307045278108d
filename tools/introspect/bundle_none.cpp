// A build without libarchive (introspect::bundle): the bundle command and bundle arguments say
// clearly that bundles are not built in, instead of taking a bundle for an unknown store.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common.hpp"
#include "support.hpp"

namespace ixcli {

namespace {
const char* not_built =
    "support bundles are not built into this introspect (it was built without libarchive and "
    "OpenSSL; Debian: libarchive-dev libssl-dev)";
}

bool bundle_built_in() { return false; }

// The same first-bytes test as bundle/reader.hpp, so that a bundle is recognised and refused.
bool is_bundle_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char b[512] = {};
  const auto n = ::pread(fd, b, sizeof b, 0);
  ::close(fd);
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) return true;
  if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B) return true;
  return n >= 262 && std::memcmp(b + 257, "ustar", 5) == 0;
}

std::vector<std::string> open_bundle(const std::string& path) {
  throw usage_error{path + ": a support bundle, but " + not_built};
}

void remove_at_exit(const std::string&) {}

int cmd_bundle(const bundle_args&) { throw usage_error{std::string{"bundle: "} + not_built}; }

}  // namespace ixcli
