#pragma once
// One REST request as a handler sees it: the HTTP message, the path's parameters and the
// query, with helpers that turn bad input into the contract's 400 errors.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_message.hpp"

namespace livechat::api {

struct request_context {
  net::http_request request;
  std::vector<std::string> path_parameters;  // percent-decoded, in pattern order
  std::string remote_address;                // the client's IP address, as text
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order

  /// For handlers that return answered_later: sends the response (CORS added), once, from
  /// any thread. The context itself may be gone by then: copy what the answer needs.
  std::function<void(net::http_response)> answer;

  /// The first value of query parameter `name`, if present.
  std::optional<std::string_view> query_value(std::string_view name) const;

  /// Query parameter `name` as an integer in [min, max]; `fallback` when absent or empty.
  /// 400 BAD_REQUEST when it is not a whole number in range.
  std::int64_t query_integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) const;

  /// Query parameter `name` as a message id (a whole number ≥ 0); nullopt when absent or
  /// empty. 400 BAD_REQUEST otherwise.
  std::optional<std::int64_t> query_message_id(std::string_view name) const;

  /// The `limit` of a history read: 1–500, 50 when absent (SPEC section 4). 400 otherwise.
  std::int64_t history_limit() const;

  /// Path parameter `index` as a canonical UUID; 400 BAD_REQUEST when it is not one.
  std::string path_uuid(std::size_t index) const;

  /// The token of an `Authorization: Bearer <token>` header; empty when there is none.
  std::string_view bearer_token() const;

  /// The body as any JSON value. 400 BAD_REQUEST for an empty body or malformed JSON.
  boost::json::value json_value() const;

  /// The body as a JSON object. 400 BAD_REQUEST for an empty body, malformed JSON (invalid
  /// UTF-8, nesting over 64 levels included) or anything but an object.
  boost::json::object json_object() const;
};

/// `text` as an integer in [min, max]. 400 BAD_REQUEST naming `name` when it is not a whole
/// number in range.
std::int64_t parse_integer(std::string_view text, std::string_view name, std::int64_t min,
                           std::int64_t max);

/// `object[name]` as a string. 400 VALIDATION_ERROR when missing or not a string.
std::string_view required_string(const boost::json::object& object, std::string_view name);

/// `object[name]` as a string; nullopt when missing or null, 400 VALIDATION_ERROR for another
/// type.
std::optional<std::string_view> optional_string(const boost::json::object& object,
                                                std::string_view name);

}  // namespace livechat::api
