#pragma once
// nats://HOST:PORT as a STORE: the federated view over JetStream, when the build has libnats.
#include <memory>
#include <string>

#include <introspect/query/store_reader.hpp>

namespace ixcli {

// Connects to the JetStream server of `url`; a usage error (exit 2) with the reason when it
// cannot, or when this build has no JetStream support.
std::unique_ptr<introspect::store_reader> open_nats_store(const std::string& url);

}  // namespace ixcli
