#include "bench/process_channel.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace livechat::bench {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

process_channel::process_channel() {
  if (::pipe(to_child_) != 0 || ::pipe(to_parent_) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe");
  }
}

process_channel::~process_channel() {
  for (int* fd : {&to_child_[0], &to_child_[1], &to_parent_[0], &to_parent_[1]}) close_fd(*fd);
}

void process_channel::become_parent() {
  close_fd(to_child_[0]);
  close_fd(to_parent_[1]);
  read_fd_ = to_parent_[0];
  write_fd_ = to_child_[1];
}

void process_channel::become_child() {
  close_fd(to_child_[1]);
  close_fd(to_parent_[0]);
  read_fd_ = to_child_[0];
  write_fd_ = to_parent_[1];
}

void process_channel::send(const boost::json::object& message) {
  std::string line = boost::json::serialize(message);
  line += '\n';
  std::size_t written = 0;
  while (written < line.size()) {
    const auto result = ::write(write_fd_, line.data() + written, line.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result <= 0) throw std::runtime_error("the other bench process is gone");
    written += static_cast<std::size_t>(result);
  }
}

boost::json::object process_channel::receive() {
  for (;;) {
    if (const auto end = buffered_.find('\n'); end != std::string::npos) {
      auto value = boost::json::parse(std::string_view(buffered_).substr(0, end));
      buffered_.erase(0, end + 1);
      if (!value.is_object()) throw std::runtime_error("a bench process sent a non-object");
      return std::move(value.as_object());
    }
    char chunk[64 * 1024];
    const auto result = ::read(read_fd_, chunk, sizeof chunk);
    if (result < 0 && errno == EINTR) continue;
    if (result <= 0) throw std::runtime_error("a bench process exited before it reported");
    buffered_.append(chunk, static_cast<std::size_t>(result));
  }
}

}  // namespace livechat::bench
