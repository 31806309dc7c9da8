#include "redis_server.hpp"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "redis/command_encoder.hpp"

extern char** environ;

namespace livechat::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::filesystem::path make_temp_directory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "livechat-redis-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// One command on a blocking socket: tests only, so that the fixture does not depend on the
// asynchronous client it is there to test.
redis::reply blocking_command(std::uint16_t port, const std::string& password,
                              std::span<const std::string_view> args) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string request;
  std::size_t expected = 1;
  if (!password.empty()) {
    std::string_view auth[] = {"AUTH", password};
    redis::append_command(request, auth);
    ++expected;
  }
  redis::append_command(request, args);
  asio::write(socket, asio::buffer(request));
  redis::reply_reader reader;
  char buffer[16 * 1024];
  for (;;) {
    std::size_t bytes = socket.read_some(asio::buffer(buffer));
    reader.feed(buffer, bytes);
    bool failed = false;
    while (auto answer = reader.next(failed)) {
      if (--expected == 0) return std::move(*answer);
      if (answer->is_error()) throw std::runtime_error("AUTH refused: " + answer->text);
    }
    if (failed) throw std::runtime_error("bad RESP from redis-server");
  }
}

}  // namespace

redis_server::redis_server(std::string password)
    : password_(std::move(password)), port_(free_port()), directory_(make_temp_directory()) {
  spawn();
  wait_until_ready();
}

redis_server::~redis_server() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

redis::redis_config redis_server::config() const {
  redis::redis_config config;
  config.host = "127.0.0.1";
  config.port = port_;
  config.password = password_;
  config.connect_timeout = std::chrono::milliseconds(1000);
  config.reconnect_initial_delay = std::chrono::milliseconds(10);
  config.reconnect_max_delay = std::chrono::milliseconds(200);
  return config;
}

void redis_server::spawn() {
  std::vector<std::string> args = {"redis-server",  "--port",        std::to_string(port_),
                                   "--bind",        "127.0.0.1",     "--dir",
                                   directory_.string(), "--save",    "",
                                   "--appendonly",  "yes",           "--appendfsync",
                                   "always",        "--logfile",     "redis.log",
                                   "--daemonize",   "no"};
  if (!password_.empty()) {
    args.push_back("--requirepass");
    args.push_back(password_);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start redis-server (is it installed?)");
  }
}

void redis_server::wait_until_ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(directory_ / "redis.log");
      std::stringstream text;
      text << log.rdbuf();
      throw std::runtime_error("redis-server exited at start:\n" + text.str());
    }
    try {
      if (command({"PING"}).is("PONG")) return;  // not -LOADING
    } catch (const std::exception& error) {
      last_error = error.what();
    }
    // A poll, not a synchronisation: the server gives no other sign that it listens.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not answer PING within 10 s: " + last_error);
}

void redis_server::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void redis_server::restart() {
  stop();
  spawn();
  wait_until_ready();
}

redis::reply redis_server::command(std::initializer_list<std::string_view> args) const {
  return blocking_command(port_, password_, std::span(args.begin(), args.size()));
}

redis::reply redis_server::command(const std::vector<std::string>& args) const {
  std::vector<std::string_view> views(args.begin(), args.end());
  return blocking_command(port_, password_, views);
}

std::vector<std::string> redis_server::client_ids(std::string_view name) const {
  std::vector<std::string> ids;
  std::istringstream lines(command({"CLIENT", "LIST"}).text);
  std::string needle = "name=" + std::string(name) + " ";
  for (std::string line; std::getline(lines, line);) {
    if (line.find(needle) == std::string::npos) continue;
    auto start = line.find("id=") + 3;
    ids.push_back(line.substr(start, line.find(' ', start) - start));
  }
  return ids;
}

}  // namespace livechat::test
