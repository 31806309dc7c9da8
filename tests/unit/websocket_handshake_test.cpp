#include "net/websocket/handshake.hpp"

#include <gtest/gtest.h>

#include <array>

#include <boost/json/parse.hpp>

namespace livechat::net::websocket {
namespace {

constexpr std::array<std::string_view, 3> stomp_subprotocols{"v12.stomp", "v11.stomp", "v10.stomp"};

// The client handshake of RFC 6455 section 1.3, which a browser would send.
http_request upgrade_request() {
  http_request request{http::verb::get, "/ws", 11};
  request.set(http::field::host, "server.example.com");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request.set(http::field::sec_websocket_version, "13");
  return request;
}

std::string error_code_of(const http_response& response) {
  return std::string(boost::json::parse(response.body()).at("code").as_string());
}

TEST(WebSocketHandshakeTest, RfcAcceptKey) {
  EXPECT_EQ(make_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshakeTest, RecognizesUpgradeRequests) {
  EXPECT_TRUE(is_upgrade_request(upgrade_request()));

  auto any_case = upgrade_request();
  any_case.set(http::field::upgrade, "WebSocket");
  any_case.set(http::field::connection, "keep-alive, UPGRADE");
  EXPECT_TRUE(is_upgrade_request(any_case));

  auto repeated = upgrade_request();
  repeated.set(http::field::connection, "keep-alive");
  repeated.insert(http::field::connection, " upgrade ");
  EXPECT_TRUE(is_upgrade_request(repeated));
}

TEST(WebSocketHandshakeTest, RefusesWhatIsNoUpgrade) {
  auto post = upgrade_request();
  post.method(http::verb::post);
  EXPECT_FALSE(is_upgrade_request(post));

  auto http10 = upgrade_request();
  http10.version(10);
  EXPECT_FALSE(is_upgrade_request(http10));

  auto no_upgrade = upgrade_request();
  no_upgrade.erase(http::field::upgrade);
  EXPECT_FALSE(is_upgrade_request(no_upgrade));

  auto other_protocol = upgrade_request();
  other_protocol.set(http::field::upgrade, "h2c");
  EXPECT_FALSE(is_upgrade_request(other_protocol));

  // A token, not a substring.
  auto lookalike = upgrade_request();
  lookalike.set(http::field::connection, "upgraded, keep-alive");
  EXPECT_FALSE(is_upgrade_request(lookalike));

  auto no_connection = upgrade_request();
  no_connection.erase(http::field::connection);
  EXPECT_FALSE(is_upgrade_request(no_connection));

  const auto outcome = accept_handshake(post, stomp_subprotocols);
  EXPECT_FALSE(outcome.accepted);
  EXPECT_EQ(outcome.response.result(), http::status::bad_request);
}

TEST(WebSocketHandshakeTest, AcceptsWithTheRfcAnswer) {
  const auto outcome = accept_handshake(upgrade_request(), stomp_subprotocols);
  ASSERT_TRUE(outcome.accepted);
  const http_response& response = outcome.response;
  EXPECT_EQ(response.result(), http::status::switching_protocols);
  EXPECT_EQ(response.version(), 11u);
  EXPECT_EQ(response[http::field::upgrade], "websocket");
  EXPECT_EQ(response[http::field::connection], "Upgrade");
  EXPECT_EQ(response[http::field::sec_websocket_accept], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(response.count(http::field::sec_websocket_protocol), 0u);
  EXPECT_EQ(outcome.subprotocol, "");
}

TEST(WebSocketHandshakeTest, PicksTheClientsFirstSupportedSubprotocol) {
  auto request = upgrade_request();
  request.set(http::field::sec_websocket_protocol, "mqtt, v10.stomp");
  request.insert(http::field::sec_websocket_protocol, "v12.stomp");
  const auto outcome = accept_handshake(request, stomp_subprotocols);
  ASSERT_TRUE(outcome.accepted);
  EXPECT_EQ(outcome.subprotocol, "v10.stomp");
  EXPECT_EQ(outcome.response[http::field::sec_websocket_protocol], "v10.stomp");

  request.set(http::field::sec_websocket_protocol, "v12.stomp,v11.stomp");
  EXPECT_EQ(accept_handshake(request, stomp_subprotocols).subprotocol, "v12.stomp");
}

TEST(WebSocketHandshakeTest, AcceptsWithoutSubprotocolWhenNoneMatches) {
  auto request = upgrade_request();
  request.set(http::field::sec_websocket_protocol, "mqtt, V12.STOMP");
  const auto outcome = accept_handshake(request, stomp_subprotocols);
  ASSERT_TRUE(outcome.accepted);
  EXPECT_EQ(outcome.subprotocol, "");
  EXPECT_EQ(outcome.response.count(http::field::sec_websocket_protocol), 0u);
}

TEST(WebSocketHandshakeTest, IgnoresExtensionOffers) {
  auto request = upgrade_request();
  request.set(http::field::sec_websocket_extensions, "permessage-deflate; client_max_window_bits");
  const auto outcome = accept_handshake(request, stomp_subprotocols);
  ASSERT_TRUE(outcome.accepted);
  EXPECT_EQ(outcome.response.count(http::field::sec_websocket_extensions), 0u);
}

TEST(WebSocketHandshakeTest, OtherVersionsGetUpgradeRequired) {
  for (const char* version : {"8", "12", "14", ""}) {
    auto request = upgrade_request();
    if (*version) {
      request.set(http::field::sec_websocket_version, version);
    } else {
      request.erase(http::field::sec_websocket_version);
    }
    const auto outcome = accept_handshake(request, stomp_subprotocols);
    EXPECT_FALSE(outcome.accepted) << version;
    EXPECT_EQ(outcome.response.result(), http::status::upgrade_required) << version;
    EXPECT_EQ(outcome.response[http::field::sec_websocket_version], "13");
  }
}

TEST(WebSocketHandshakeTest, BadKeysGetBadRequest) {
  for (const char* key : {"", "not base64!", "dGhlIHNhbXBsZSBub25jZQ",               // unpadded
                          "dGhlIHNhbXBsZSBub25j",                                    // 15 bytes
                          "dGhlIHNhbXBsZSBub25jZQ==AA", "dGhlIHNhbXBsZSBub25jZSE=",  // 17 bytes
                          "dGhlIHNhbXBsZSBub25jZR=="}) {  // stray low bits
    auto request = upgrade_request();
    request.set(http::field::sec_websocket_key, key);
    const auto outcome = accept_handshake(request, stomp_subprotocols);
    EXPECT_FALSE(outcome.accepted) << key;
    EXPECT_EQ(outcome.response.result(), http::status::bad_request) << key;
    EXPECT_EQ(error_code_of(outcome.response), "BAD_REQUEST");
  }

  auto missing = upgrade_request();
  missing.erase(http::field::sec_websocket_key);
  EXPECT_EQ(accept_handshake(missing, stomp_subprotocols).response.result(),
            http::status::bad_request);

  auto twice = upgrade_request();
  twice.insert(http::field::sec_websocket_key, "AAAAAAAAAAAAAAAAAAAAAA==");
  EXPECT_FALSE(accept_handshake(twice, stomp_subprotocols).accepted);
}

}  // namespace
}  // namespace livechat::net::websocket
