#pragma once
//! The product's own structs, recorded with record(): Boost.Hana turns members into fields.
#include <cstdint>
#include <string_view>

#include <boost/hana/define_struct.hpp>

namespace demo {

//! A disk's health, reported by its segment store once per heartbeat.
struct DiskHealth {
  BOOST_HANA_DEFINE_STRUCT(DiskHealth, (std::string_view, disk), (int, store),
                           (std::int64_t, used_bytes), (std::int64_t, capacity_bytes),
                           (double, used_pct), (std::string_view, level));
};

//! What a segment container's recovery took, reported when it reaches RUNNING.
struct ContainerRecovery {
  BOOST_HANA_DEFINE_STRUCT(ContainerRecovery, (int, container), (int, store),
                           (std::int64_t, recovery_ms), (std::int64_t, segments),
                           (std::int64_t, restarts));
};

}  // namespace demo
