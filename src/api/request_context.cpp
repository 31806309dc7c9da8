#include "api/request_context.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "auth/bearer.hpp"
#include "model/client_error.hpp"
#include "model/ids.hpp"

namespace livechat::api {

using model::client_errc;
using model::client_error;

std::optional<std::string_view> request_context::query_value(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::int64_t request_context::query_integer(std::string_view name, std::int64_t fallback,
                                            std::int64_t min, std::int64_t max) const {
  const auto text = query_value(name);
  if (!text || text->empty()) return fallback;
  return parse_integer(*text, name, min, max);
}

std::optional<std::int64_t> request_context::query_message_id(std::string_view name) const {
  const auto text = query_value(name);
  if (!text || text->empty()) return std::nullopt;
  return parse_integer(*text, name, 0, std::numeric_limits<std::int64_t>::max());
}

std::int64_t request_context::history_limit() const {
  constexpr std::int64_t default_history_limit = 50;
  constexpr std::int64_t max_history_limit = 500;
  return query_integer("limit", default_history_limit, 1, max_history_limit);
}

std::int64_t parse_integer(std::string_view text, std::string_view name, std::int64_t min,
                           std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw client_error(client_errc::bad_request,
                       fmt::format("'{}' must be a whole number from {} to {}", name, min, max));
  }
  return value;
}

std::string request_context::path_uuid(std::size_t index) const {
  auto id = model::parse_uuid(path_parameters.at(index));
  if (!id) throw client_error(client_errc::bad_request, "the id in the path is not a UUID");
  return std::move(*id);
}

std::string_view request_context::bearer_token() const {
  return auth::parse_bearer(request[net::http::field::authorization]).value_or(std::string_view{});
}

boost::json::object request_context::json_object() const {
  boost::json::value value = json_value();
  if (!value.is_object()) throw client_error(client_errc::bad_request, "the body must be a JSON object");
  return std::move(value.as_object());
}

boost::json::value request_context::json_value() const {
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(request.body(), error, {}, options);
  if (error) {
    throw client_error(client_errc::bad_request,
                       fmt::format("the body is not valid JSON: {}", error.message()));
  }
  return value;
}

std::string_view required_string(const boost::json::object& object, std::string_view name) {
  const auto value = optional_string(object, name);
  if (!value) {
    throw client_error(client_errc::validation_error, fmt::format("'{}' is required", name));
  }
  return *value;
}

std::optional<std::string_view> optional_string(const boost::json::object& object,
                                                std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    throw client_error(client_errc::validation_error, fmt::format("'{}' must be a string", name));
  }
  const auto& text = value->get_string();
  return std::string_view(text.data(), text.size());
}

}  // namespace livechat::api
