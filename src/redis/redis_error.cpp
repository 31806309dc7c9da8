#include "redis/redis_error.hpp"

#include <string>

namespace livechat::redis {

namespace {

class category : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::not_connected: return "not connected to Redis";
      case errc::connection_lost: return "the Redis connection was lost before the reply";
      case errc::shutdown: return "the Redis client was closed";
      case errc::server_error: return "Redis answered with an error";
      case errc::protocol_error: return "Redis sent something that is not RESP";
      case errc::handshake_failed: return "Redis refused AUTH or SELECT";
      case errc::timeout: return "Redis did not answer in time";
    }
    return "unknown Redis error";
  }
};

}  // namespace

const boost::system::error_category& error_category() {
  static const category instance;
  return instance;
}

}  // namespace livechat::redis
