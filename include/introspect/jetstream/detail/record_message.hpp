#pragma once
// One store record as the NATS message the forwarder publishes: subject, `Nats-Msg-Id`
// `<scope>/<stream>/<offset>`, the `Ix` header with the frame's time, kind and flags, and the
// payload exactly as stored (docs/jetstream.md, "Names").
#include <charconv>
#include <string>

#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::jetstream::detail {

//! The message for `rv`, or nullptr with `err` and `what` (the step that failed) set;
//! `id_prefix` is `<scope>/<stream>/`.
inline msg_ptr record_message(const std::string& subject, const std::string& id_prefix,
                              const store::frame_view& rv, nats_error& err, const char*& what) {
  natsMsg* m = nullptr;
  auto st =
      natsMsg_Create(&m, subject.c_str(), nullptr, reinterpret_cast<const char*>(rv.payload.data()),
                     static_cast<int>(rv.payload.size()));
  if (st != NATS_OK) return err = last_error(st), what = "create message", nullptr;
  msg_ptr msg(m);
  char num[24];
  auto r = std::to_chars(num, num + sizeof num - 1, rv.offset);
  *r.ptr = '\0';
  std::string id = id_prefix;
  id += num;
  st = natsMsgHeader_Set(m, header::msg_id, id.c_str());
  char ix[48];
  format_ix(ix, {rv.ts_ns, rv.kind, rv.flags});
  if (st == NATS_OK) st = natsMsgHeader_Set(m, header::ix, ix);
  if (st != NATS_OK) return err = last_error(st), what = "set headers", nullptr;
  return msg;
}

}  // namespace introspect::inline v1::jetstream::detail
