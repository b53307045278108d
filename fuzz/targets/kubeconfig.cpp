// kubeconfig files (source/kubernetes/kubeconfig.hpp, read with yaml-cpp): any bytes
// give a connection or an error message, never a crash, whatever the nesting.
//
// A kubeconfig may name other files (certificate-authority, client-key, ...), which the
// loader reads. Inputs that could name an absolute path are skipped: /dev/stdin or a FIFO would
// block the fuzzer and big files slow it, and reading them exercises nothing of ours. Relative
// names resolve in the scratch directory, where the harness leaves a small PEM-like file.
#include <cstdint>
#include <string>

#include <introspect/source/kubernetes/kubeconfig.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = introspect_fuzz::as_text(data, size);
  if (text.find("..") != std::string_view::npos) return 0;
  for (std::size_t i = text.find('/'); i != std::string_view::npos; i = text.find('/', i + 1))
    if (i == 0 || std::string_view{" \t\n'\"[{,"}.find(text[i - 1]) != std::string_view::npos)
      return 0;  // a value starting with '/' (a URL's "://" is fine)
  static const auto dir = [] {
    const auto d = introspect_fuzz::scratch_dir::get() / "kube";
    std::filesystem::create_directories(d);
    introspect_fuzz::write_file(d / "ca.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n");
    return d;
  }();
  const auto path = dir / "config";
  introspect_fuzz::write_file(path, text);
  const auto c = ix::kubernetes::load_kubeconfig(path);
  if (!c) {
    INTROSPECT_FUZZ_CHECK(!c.error.empty());
    return 0;
  }
  // Whatever was accepted is a usable server name: the loader strips trailing slashes.
  INTROSPECT_FUZZ_CHECK(!c->server.empty() && c->server.back() != '/');
  // Named contexts, as `--context` would select them.
  (void)ix::kubernetes::load_kubeconfig(path, "default");
  return 0;
}
