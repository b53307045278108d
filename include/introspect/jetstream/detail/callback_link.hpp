#pragma once
//! callback_link: the closure handed to libnats callbacks instead of a pointer to their owner.
//! libnats delivers connection events and publish acknowledgments on its own threads and may do
//! so after the connection was closed and destroyed; a link outlives its owner, so a late
//! callback finds `owner == nullptr` and does nothing instead of touching freed memory.
#include <deque>
#include <mutex>

namespace introspect::inline v1::jetstream::detail {

//! A never-freed, owner-detachable closure for callbacks of a C library (see file comment).
template <class Owner>
struct callback_link {
  std::mutex mu;  //!< held while a callback runs and while the owner detaches
  Owner* owner = nullptr;

  //! A link owned by the process: kept reachable for the rest of its life (a few bytes per
  //! owner ever created), because no event of libnats says "no callback will follow".
  static callback_link* make(Owner* o) {
    static std::mutex registry_mu;
    static std::deque<callback_link> registry;
    std::lock_guard lk(registry_mu);
    auto& l = registry.emplace_back();
    l.owner = o;
    return &l;
  }
  //! Waits for a running callback to finish, then makes every later one a no-op.
  void detach() {
    std::lock_guard lk(mu);
    owner = nullptr;
  }
  //! Runs f(owner) under the link's lock when the owner is still attached.
  template <class F>
  void with_owner(F&& f) {
    std::lock_guard lk(mu);
    if (owner) f(*owner);
  }
};

}  // namespace introspect::inline v1::jetstream::detail
