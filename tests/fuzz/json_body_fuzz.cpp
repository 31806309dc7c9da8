// libFuzzer target: the JSON request bodies, read as every REST handler reads them
// (api::request_context::json_value/json_object, required_string, optional_string, on the
// fields the API takes). Bad input may only ever be a client_error (a 400), never another
// exception, a crash, a hang or a sanitizer report; and any string the server accepts as
// `contents` is written back out, in a Message, as JSON that reads back the same.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "api/request_context.hpp"
#include "model/client_error.hpp"
#include "model/records.hpp"
#include "model/time.hpp"
#include "protocol/message_json.hpp"

namespace {

using namespace livechat;

void fail(const char* what) {
  std::fprintf(stderr, "json_body_fuzz: %s\n", what);
  std::abort();
}

constexpr std::string_view fields[] = {"userId",  "password", "refreshToken", "name",
                                       "contents", "sender",  "nickname",     "profileImgUrl"};

void check_message_round_trip(std::string_view contents) {
  model::message message;
  message.room_id = "00000000-0000-0000-0000-000000000000";
  message.id = 1;
  message.sender = "alice";
  message.contents = std::string(contents);
  message.sent_at = model::from_epoch_ms(0);
  const std::string written = boost::json::serialize(protocol::message_to_json(message));
  boost::system::error_code error;
  const auto again = boost::json::parse(written, error);
  if (error || !again.is_object()) fail("a Message we wrote is not JSON");
  const auto* read = again.as_object().if_contains("contents");
  if (read == nullptr || !read->is_string() || read->as_string() != contents) {
    fail("a Message's contents changed on the way out");
  }
}

template <typename Read>
void expect_only_client_errors(Read&& read) {
  try {
    read();
  } catch (const model::client_error& error) {
    const auto code = error.errc();
    if (code != model::client_errc::bad_request && code != model::client_errc::validation_error) {
      fail("a body was refused with something other than 400");
    }
  } catch (const std::exception&) {
    fail("a body raised an exception that is not a client_error");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  api::request_context context;
  context.request.body().assign(reinterpret_cast<const char*>(data), size);
  expect_only_client_errors([&] { (void)context.json_value(); });
  expect_only_client_errors([&] {
    const boost::json::object body = context.json_object();
    for (const auto field : fields) {
      expect_only_client_errors([&] { (void)api::required_string(body, field); });
      expect_only_client_errors([&] {
        if (const auto value = api::optional_string(body, field); value && field == "contents") {
          check_message_round_trip(*value);
        }
      });
    }
  });
  return 0;
}
