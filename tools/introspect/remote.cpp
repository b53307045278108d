// The federated store (JetStream); built only when introspect::jetstream exists.
#include "remote.hpp"

#include <introspect/query/jetstream_store.hpp>

#include "common.hpp"

namespace ixcli {

std::unique_ptr<introspect::store_reader> open_nats_store(const std::string& url) {
  introspect::jetstream::fetch_options o;
  o.url = url;
  try {
    return std::make_unique<introspect::jetstream_store>(o);
  } catch (const introspect::jetstream::error& e) {
    throw usage_error{"STORE \"" + url + "\": cannot read JetStream: " + e.what()};
  }
}

}  // namespace ixcli
