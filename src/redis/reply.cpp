#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

namespace livechat::redis {

namespace {

reply convert(const redisReply& raw) {
  reply out;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = reply::kind::error;
      out.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = raw.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      out.elements.reserve(raw.elements);
      for (std::size_t i = 0; i < raw.elements; ++i) out.elements.push_back(convert(*raw.element[i]));
      break;
    default:
      out.type = reply::kind::nil;
  }
  return out;
}

redisReader* as_reader(void* reader) { return static_cast<redisReader*>(reader); }

}  // namespace

void reply_reader::reader_deleter::operator()(void* reader) const {
  redisReaderFree(as_reader(reader));
}

reply_reader::reply_reader() : reader_(redisReaderCreate()) {}

reply_reader::~reply_reader() = default;

bool reply_reader::feed(const char* data, std::size_t size) {
  return redisReaderFeed(as_reader(reader_.get()), data, size) == REDIS_OK;
}

std::optional<reply> reply_reader::next(bool& failed) {
  void* raw = nullptr;
  failed = redisReaderGetReply(as_reader(reader_.get()), &raw) != REDIS_OK;
  if (failed || raw == nullptr) return std::nullopt;
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> owned(static_cast<redisReply*>(raw),
                                                                  &freeReplyObject);
  return convert(*owned);
}

void reply_reader::reset() { reader_.reset(redisReaderCreate()); }

}  // namespace livechat::redis
