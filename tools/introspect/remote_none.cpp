// A build without libnats: nats:// STOREs are refused with a clear message.
#include "common.hpp"
#include "remote.hpp"

namespace ixcli {

std::unique_ptr<qread::store_reader> open_nats_store(const std::string& url) {
  throw usage_error{"STORE \"" + url +
                    "\": this build of introspect has no JetStream support (libnats-dev)"};
}

std::unique_ptr<follower> make_nats_follower(const qread::store_reader&,
                                             const qexpr::record_filter&, const filter_args&,
                                             qread::damage_log&) {
  throw usage_error{"--follow: this build of introspect has no JetStream support (libnats-dev)"};
}

std::map<std::pair<std::string, std::string>, std::uint64_t> nats_stream_lags(
    const qread::store_reader&) {
  return {};
}

}  // namespace ixcli
