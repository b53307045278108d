#pragma once
// nats://HOST:PORT as a STORE: the federated view over JetStream, when the build has libnats.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <introspect/query/read/store_reader.hpp>

#include "follow.hpp"

namespace ixcli {

// Connects to the JetStream server of `url`; a usage error (exit 2) with the reason when it
// cannot, or when this build has no JetStream support.
std::unique_ptr<qread::store_reader> open_nats_store(const std::string& url);

// tail --follow of a store open_nats_store() opened: new messages of the streams the filters
// select, as the server delivers them. A usage error when this build has no JetStream support.
std::unique_ptr<follower> make_nats_follower(const qread::store_reader& store,
                                             const qexpr::record_filter& f, const filter_args& fa,
                                             qread::damage_log& log);

// For a store open_nats_store() opened: per (instance, stream), the bytes the instance's store
// holds beyond what JetStream holds, from its forwarder's last progress report (absent: unknown).
// Empty for any other store, or when the server cannot be asked (open_nats_store() said so).
std::map<std::pair<std::string, std::string>, std::uint64_t> nats_stream_lags(
    const qread::store_reader& store);

}  // namespace ixcli
