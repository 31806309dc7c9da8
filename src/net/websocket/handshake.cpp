#include "net/websocket/handshake.hpp"

#include <boost/beast/core/string.hpp>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "model/text.hpp"

namespace livechat::net::websocket {
namespace {

constexpr std::string_view accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t client_key_bytes = 16;

// Calls `visit(token)` for each non-empty token of a comma-separated header, over every
// instance of the header in order; stops early when `visit` returns true, and says so.
template <class Visitor>
bool any_token(const http_request& request, http::field field, Visitor&& visit) {
  const auto [begin, end] = request.equal_range(field);
  for (auto header = begin; header != end; ++header) {
    std::string_view rest = header->value();
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string_view token = model::trim_blanks(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (!token.empty() && visit(token)) return true;
    }
  }
  return false;
}

bool has_token(const http_request& request, http::field field, std::string_view wanted) {
  return any_token(request, field, [wanted](std::string_view token) {
    return boost::beast::iequals(token, wanted);
  });
}

bool is_valid_client_key(std::string_view key) {
  std::array<unsigned char, client_key_bytes> decoded{};
  std::size_t decoded_size = 0;
  const char* parsed_end = nullptr;
  // Fails on anything but canonical, padded base64 of at most 16 bytes; we then require all
  // input consumed and exactly 16 bytes.
  const int result =
      sodium_base642bin(decoded.data(), decoded.size(), key.data(), key.size(), nullptr,
                        &decoded_size, &parsed_end, sodium_base64_VARIANT_ORIGINAL);
  return result == 0 && decoded_size == client_key_bytes && parsed_end == key.data() + key.size();
}

http_response refuse(std::string_view message, const http_request& request) {
  return make_error_response(model::client_errc::bad_request, message, request.version());
}

}  // namespace

bool is_upgrade_request(const http_request& request) {
  return request.method() == http::verb::get && request.version() >= 11 &&
         has_token(request, http::field::upgrade, "websocket") &&
         has_token(request, http::field::connection, "upgrade");
}

std::string make_accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + accept_guid.size());
  input.append(client_key).append(accept_guid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) !=
      1) {
    throw std::runtime_error("SHA-1 is unavailable in OpenSSL");
  }
  // sodium_bin2base64 is a pure codec: it needs no sodium_init().
  std::array<char, sodium_base64_ENCODED_LEN(EVP_MAX_MD_SIZE, sodium_base64_VARIANT_ORIGINAL)>
      encoded{};
  sodium_bin2base64(encoded.data(), encoded.size(), digest.data(), digest_size,
                    sodium_base64_VARIANT_ORIGINAL);
  return std::string(encoded.data());
}

handshake_outcome accept_handshake(const http_request& request,
                                   std::span<const std::string_view> supported_subprotocols) {
  handshake_outcome outcome;
  if (!is_upgrade_request(request)) {
    outcome.response = refuse("not a WebSocket upgrade request", request);
    return outcome;
  }
  if (request[http::field::sec_websocket_version] != "13") {
    outcome.response = refuse("WebSocket version 13 is required", request);
    outcome.response.result(http::status::upgrade_required);
    outcome.response.set(http::field::sec_websocket_version, "13");
    return outcome;
  }
  if (request.count(http::field::sec_websocket_key) != 1 ||
      !is_valid_client_key(request[http::field::sec_websocket_key])) {
    outcome.response = refuse("Sec-WebSocket-Key must be the base64 of 16 bytes", request);
    return outcome;
  }

  any_token(request, http::field::sec_websocket_protocol, [&](std::string_view offered) {
    const bool supported =
        std::ranges::find(supported_subprotocols, offered) != supported_subprotocols.end();
    if (supported) outcome.subprotocol = offered;
    return supported;
  });

  outcome.accepted = true;
  outcome.response = http_response{http::status::switching_protocols, request.version()};
  outcome.response.set(http::field::upgrade, "websocket");
  outcome.response.set(http::field::connection, "Upgrade");
  outcome.response.set(http::field::sec_websocket_accept,
                       make_accept_key(request[http::field::sec_websocket_key]));
  if (!outcome.subprotocol.empty()) {
    outcome.response.set(http::field::sec_websocket_protocol, outcome.subprotocol);
  }
  return outcome;
}

}  // namespace livechat::net::websocket
