#include "api/loggable_target.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace livechat::api {
namespace {

bool names_a_token(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.find("token") != std::string::npos;
}

}  // namespace

std::string loggable_target(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    return std::string(path) + (path.size() < target.size() ? "?[query left out]" : "");
  }
  if (!parsed->has_query()) return std::string(target);
  const auto encoded_path = parsed->encoded_path();
  std::string loggable(encoded_path.data(), encoded_path.size());
  char separator = '?';
  for (const auto param : parsed->encoded_params()) {
    loggable += separator;
    separator = '&';
    loggable.append(param.key.data(), param.key.size());
    if (!param.has_value) continue;
    loggable += '=';
    if (names_a_token(param.key.decode())) {
      loggable += "[redacted]";
    } else {
      loggable.append(param.value.data(), param.value.size());
    }
  }
  return loggable;
}

}  // namespace livechat::api
