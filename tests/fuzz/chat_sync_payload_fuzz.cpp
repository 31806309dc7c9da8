// libFuzzer target: Chat Sync's raw payloads (SPEC 6), which anyone who can PUBLISH on Redis
// sends to every node with listeners of a session. Any bytes may only ever be mapped or
// refused, never throw, crash or hang; a mapped message holds UTF-8 contents within the limit,
// and is written out as JSON without an id that reads back the same contents.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "broker/chat_sync_payload.hpp"
#include "model/time.hpp"
#include "model/validation.hpp"
#include "net/websocket/utf8.hpp"
#include "protocol/message_json.hpp"

namespace {

using namespace livechat;

constexpr std::size_t max_length = 200;

void fail(const char* what) {
  std::fprintf(stderr, "chat_sync_payload_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  std::string why;
  auto mapped = broker::map_raw_payload("00000000-0000-0000-0000-000000000000", payload,
                                        max_length, model::from_epoch_ms(0), why);
  if (!mapped) {
    if (why.empty()) fail("a refusal without a reason");
    return 0;
  }
  if (!net::websocket::is_valid_utf8(mapped->contents)) fail("contents that are not UTF-8");
  if (model::utf8_length(mapped->contents) > max_length) fail("contents over the limit");
  mapped->id = -1;  // numbered as the broker numbers raw messages
  const std::string written = boost::json::serialize(protocol::message_to_json(*mapped));
  boost::system::error_code error;
  const auto again = boost::json::parse(written, error);
  if (error || !again.is_object()) fail("a raw Message we wrote is not JSON");
  if (again.as_object().contains("id")) fail("a raw Message with an id");
  const auto* contents = again.as_object().if_contains("contents");
  if (contents == nullptr || !contents->is_string() || contents->as_string() != mapped->contents) {
    fail("a raw Message's contents changed on the way out");
  }
  return 0;
}
