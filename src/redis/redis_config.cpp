#include "redis/redis_config.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace livechat::redis {

namespace {

template <typename Integer>
bool parse_integer(std::string_view text, Integer& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::optional<redis_config> parse_redis_url(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "not a URL";
    return std::nullopt;
  }
  if (parsed->scheme() != "redis") {
    error = "the scheme must be redis://";
    return std::nullopt;
  }
  redis_config config;
  config.host = parsed->encoded_host().decode();
  if (config.host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  if (parsed->has_port() && !parse_integer(parsed->port(), config.port)) {
    error = "bad port";
    return std::nullopt;
  }
  if (parsed->has_userinfo()) {
    config.username = parsed->encoded_user().decode();
    if (parsed->has_password()) {
      config.password = parsed->encoded_password().decode();
    } else {
      // `redis://secret@host` is the usual way to give a password alone.
      config.password = std::move(config.username);
      config.username.clear();
    }
  }
  std::string_view path = parsed->encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    if (!parse_integer(path, config.database) || config.database < 0) {
      error = "the path must be a database number";
      return std::nullopt;
    }
  }
  return config;
}

}  // namespace livechat::redis
