// A build without libnats: nats:// STOREs are refused with a clear message.
#include "common.hpp"
#include "remote.hpp"

namespace ixcli {

std::unique_ptr<introspect::store_reader> open_nats_store(const std::string& url) {
  throw usage_error{"STORE \"" + url +
                    "\": this build of introspect has no JetStream support (libnats-dev)"};
}

std::unique_ptr<follower> make_nats_follower(const introspect::store_reader&,
                                             const ix::record_filter&, const filter_args&,
                                             ix::damage_log&) {
  throw usage_error{"--follow: this build of introspect has no JetStream support (libnats-dev)"};
}

std::map<std::pair<std::string, std::string>, std::uint64_t> nats_stream_lags(
    const introspect::store_reader&) {
  return {};
}

}  // namespace ixcli
