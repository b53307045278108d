#pragma once
//! Run-time options per component: each selected policy that has options contributes a member
//! to its introspection type's `config` (`cfg.kubernetes`, `cfg.etcd`, `cfg.jetstream`); a
//! policy the build did not select contributes an empty member, so the tiny tier's config has
//! no Kubernetes, etcd or JetStream fields.
#include <type_traits>

#include <introspect/core/config.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/policy/sources.hpp>

namespace introspect::inline v1 {

namespace detail {
template <class T>
inline constexpr bool options_dependent_false = false;
}  // namespace detail

//! The run-time options of a component policy (a source or a sink); specialised by the header
//! that implements the component (engine/kubernetes.hpp, engine/etcd.hpp, sink/jetstream.hpp).
template <class Component>
struct component_options {
  static_assert(detail::options_dependent_false<Component>,
                "introspection<...>::config: the selected component's header is not included "
                "(source::kubernetes: <introspect/engine/kubernetes.hpp>; source::etcd: "
                "<introspect/engine/etcd.hpp>; sink::jetstream: <introspect/sink/jetstream.hpp>)");
};

namespace detail {

// The options of `Component` if selected, else the empty member `Absent`; lazy, so a component
// that is not selected needs no header.
template <class Component, bool Selected, class Absent>
using options_slot_t = typename std::conditional_t<Selected, component_options<Component>,
                                                   std::type_identity<Absent>>::type;

//! The config of a resolved policy set: the common fields and one member per selected component.
template <class Resolved>
using config_t = basic_config<
    options_slot_t<source::kubernetes, Resolved::sources::template contains<source::kubernetes>,
                   no_options<kubernetes_options_tag>>,
    options_slot_t<source::etcd, Resolved::sources::template contains<source::etcd>,
                   no_options<etcd_options_tag>>,
    options_slot_t<sink::jetstream, sink::feeds_v<typename Resolved::sink, sink::jetstream>,
                   no_options<jetstream_options_tag>>>;

}  // namespace detail
}  // namespace introspect::inline v1
