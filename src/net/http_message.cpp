#include "net/http_message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace livechat::net {

http_response make_json_response(http::status status, const boost::json::value& body,
                                 unsigned version) {
  http_response response{status, version};
  response.set(http::field::content_type, "application/json");
  response.body() = boost::json::serialize(body);
  response.prepare_payload();
  return response;
}

http_response make_error_response(model::client_errc errc, std::string_view message,
                                  unsigned version) {
  const boost::json::object body{{"code", model::error_code(errc)}, {"message", message}};
  return make_json_response(static_cast<http::status>(model::http_status(errc)), body, version);
}

}  // namespace livechat::net
