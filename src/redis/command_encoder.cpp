#include "redis/command_encoder.hpp"

#include <charconv>

namespace livechat::redis {

namespace {

void append_header(std::string& out, char marker, std::size_t count) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, count).ptr;
  out.push_back(marker);
  out.append(digits, end);
  out.append("\r\n");
}

}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
  append_header(out, '*', args.size());
  for (auto arg : args) {
    append_header(out, '$', arg.size());
    out.append(arg);
    out.append("\r\n");
  }
}

}  // namespace livechat::redis
