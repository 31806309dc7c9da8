#include "auth/bearer.hpp"

#include <boost/beast/core/string.hpp>

#include "model/text.hpp"

namespace livechat::auth {

std::optional<std::string_view> parse_bearer(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size() ||
      !boost::beast::iequals(authorization.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  return model::trim_blanks(authorization.substr(scheme.size()));
}

}  // namespace livechat::auth
