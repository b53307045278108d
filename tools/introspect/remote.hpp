#pragma once
// nats://HOST:PORT as a STORE: the federated view over JetStream, when the build has libnats.
#include <memory>
#include <string>

#include <introspect/query/store_reader.hpp>

#include "follow.hpp"

namespace ixcli {

// Connects to the JetStream server of `url`; a usage error (exit 2) with the reason when it
// cannot, or when this build has no JetStream support.
std::unique_ptr<introspect::store_reader> open_nats_store(const std::string& url);

// tail --follow of a store open_nats_store() opened: new messages of the streams the filters
// select, as the server delivers them. A usage error when this build has no JetStream support.
std::unique_ptr<follower> make_nats_follower(const introspect::store_reader& store,
                                             const ix::record_filter& f, const filter_args& fa,
                                             ix::damage_log& log);

}  // namespace ixcli
