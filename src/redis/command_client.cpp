#include "redis/command_client.hpp"

#include <string>
#include <vector>

#include "redis/command_encoder.hpp"

namespace livechat::redis {

namespace {

bool is_noscript(const reply& answer) {
  return answer.is_error() && answer.text.starts_with("NOSCRIPT");
}

}  // namespace

std::shared_ptr<command_client> command_client::create(executor_type executor,
                                                       redis_config config) {
  return std::make_shared<command_client>(std::move(executor), std::move(config));
}

command_client::command_client(executor_type executor, redis_config config)
    : connection(std::move(executor), std::move(config)) {}

std::shared_ptr<command_client> command_client::shared_this() {
  return std::static_pointer_cast<command_client>(shared_from_this());
}

void command_client::execute(std::span<const std::string_view> args, reply_callback done) {
  if (failures_.count()) return post_failure(std::move(done), errc::not_connected);
  send(args, std::move(done));
}

void command_client::execute(std::initializer_list<std::string_view> args, reply_callback done) {
  execute(std::span(args.begin(), args.size()), std::move(done));
}

void command_client::evalsha(const script& lua, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args, reply_callback done) {
  if (failures_.count()) return post_failure(std::move(done), errc::not_connected);
  std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> command;
  command.reserve(3 + keys.size() + args.size());
  command.insert(command.end(), {"EVALSHA", lua.sha1(), key_count});
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  // Encoded once and kept, in case NOSCRIPT asks for it again.
  std::string encoded;
  append_command(encoded, command);
  send_encoded(encoded, [self = shared_this(), &lua, encoded, done = std::move(done)](
                            boost::system::error_code error, reply answer) mutable {
    if (!is_noscript(answer)) return done(error, std::move(answer));
    std::string_view load[] = {"SCRIPT", "LOAD", lua.source()};
    self->send(load, nullptr);
    self->send_encoded(encoded, std::move(done));
  });
}

}  // namespace livechat::redis
