// JetStream messages read back by `introspect query nats://...` (jetstream/names.hpp,
// jetstream/fetch.hpp): the `Ix` and `Nats-Msg-Id` headers, the subject and the binary payload
// come from a server anyone on the network may publish to. Any bytes decode or are skipped,
// never a crash; the header and subject formats read back what their printers write.
//
// Input: header values and subject (each a length-prefixed string), then the payload.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include <nats/nats.h>

#include <introspect/jetstream/fetch.hpp>
#include <introspect/jetstream/names.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;
namespace js = introspect::jetstream;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Messages are reference counted through the library's garbage collector: it must be up.
  return nats_Open(-1) == NATS_OK ? 0 : 1;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto ix_value = in.ConsumeRandomLengthString(64);
  const auto msg_id = in.ConsumeRandomLengthString(300);
  const auto subject = in.ConsumeRandomLengthString(300);
  const auto payload = in.ConsumeRemainingBytesAsString();

  if (const auto f = js::parse_ix(ix_value)) {
    char buf[48];
    const auto n = js::format_ix(buf, *f);
    const auto g = js::parse_ix(std::string_view{buf, n});
    INTROSPECT_FUZZ_CHECK(g && g->ts_ns == f->ts_ns && g->kind == f->kind && g->flags == f->flags);
  }
  (void)js::offset_of_msg_id(msg_id);
  if (const auto token = js::decode_token(subject)) {
    // Tokens are canonical: one name, one token.
    INTROSPECT_FUZZ_CHECK(js::subject_token(*token) == subject);
  }
  if (const auto parts = js::parse_subject(subject)) {
    INTROSPECT_FUZZ_CHECK(js::subject_of(parts->scope, parts->stream) == subject);
    INTROSPECT_FUZZ_CHECK(js::stream_name_of(parts->scope, parts->stream).size() <=
                          js::max_stream_name);
  }

  // The whole message as the fetcher and the live reader decode it. libnats refuses header
  // values it could not send (NUL, CR, LF): such a message cannot arrive either.
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, "introspect.s.t", nullptr, payload.data(),
                     static_cast<int>(payload.size())) != NATS_OK)
    return 0;
  const bool headers_ok = ix_value.find('\0') == std::string::npos &&
                          msg_id.find('\0') == std::string::npos &&
                          natsMsgHeader_Set(m, js::header::ix, ix_value.c_str()) == NATS_OK &&
                          natsMsgHeader_Set(m, js::header::msg_id, msg_id.c_str()) == NATS_OK;
  if (headers_ok) {
    js::remote_stream rs;
    rs.scope = "s";
    rs.stream = "t";
    js::fetched_record out;
    if (js::fetcher::decode(m, rs, out)) {
      INTROSPECT_FUZZ_CHECK(js::parse_ix(ix_value).has_value());
      INTROSPECT_FUZZ_CHECK(out.offset == *js::offset_of_msg_id(msg_id));
    }
  }
  natsMsg_Destroy(m);
  return 0;
}
