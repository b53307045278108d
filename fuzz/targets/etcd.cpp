// Responses of the etcd v3 JSON gateway (source/etcd/protocol.hpp): range pages, watch stream
// lines, authenticate responses and error bodies from an untrusted server. Any bytes give a
// result or a cause, never a crash or undefined behaviour (numbers outside int64 included);
// a decoded key or value re-encodes into a request the parser's own base64 reads back.
#include <cstdint>
#include <string>

#include <simdjson.h>

#include <introspect/source/etcd/protocol.hpp>

#include "../support/fuzz_support.hpp"

namespace etcd = introspect::etcd;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static etcd::response_parser parser;
  const auto body = introspect_fuzz::as_text(data, size);

  etcd::range_page page;
  if (!parser.range(body, page)) {
    INTROSPECT_FUZZ_CHECK(page.revision > 0);
    // The keys as the source would ask for them again (continuing a paged range): the request
    // is valid JSON.
    for (const auto& kv : page.kvs) {
      const auto req = etcd::range_request(kv.key, kv.value, 10, page.revision);
      simdjson::dom::parser p;
      simdjson::dom::element doc;
      INTROSPECT_FUZZ_CHECK(p.parse(req).get(doc) == simdjson::SUCCESS);
    }
  }

  // A watch stream: one message per line.
  std::string_view rest = body;
  etcd::watch_message msg;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (const auto err = parser.watch(line, msg)) INTROSPECT_FUZZ_CHECK(!err->empty());
  }

  std::string token;
  if (const auto err = parser.token(body, token))
    INTROSPECT_FUZZ_CHECK(!err->empty());
  else
    INTROSPECT_FUZZ_CHECK(!token.empty());
  (void)parser.error(body);
  return 0;
}
