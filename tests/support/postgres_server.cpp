#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "store/postgres/connection.hpp"

namespace livechat::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* user = "livechat";
constexpr const char* password = "livechat-test-password";

fs::path find_binaries() {
  if (const char* configured = std::getenv("LIVECHAT_PG_BIN")) return configured;
  fs::path newest;
  int newest_version = 0;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > newest_version && fs::exists(entry.path() / "bin" / "postgres")) {
      newest_version = version;
      newest = entry.path() / "bin";
    }
  }
  if (newest.empty()) {
    throw std::runtime_error("no PostgreSQL server under /usr/lib/postgresql (apt-get install "
                             "postgresql) and LIVECHAT_PG_BIN is not set");
  }
  return newest;
}

int free_port() {
  const int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(probe);
    throw std::system_error(errno, std::generic_category(), "free port");
  }
  close(probe);
  return ntohs(address.sin_port);
}

// The account PostgreSQL runs as: `postgres` when we are root (it refuses root), else us.
struct account {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  bool switch_to = false;
};

account server_account() {
  account result;
  if (geteuid() != 0) return result;
  const passwd* entry = getpwnam("postgres");
  if (entry == nullptr) throw std::runtime_error("running as root, but there is no postgres user");
  result.uid = entry->pw_uid;
  result.gid = entry->pw_gid;
  result.switch_to = true;
  return result;
}

// Starts `arguments` as the server's account with its output appended to `log`; the child dies
// with the test process, so that no server outlives an interrupted run.
pid_t spawn(const std::vector<std::string>& arguments, const fs::path& log) {
  const account as = server_account();
  // Everything the child needs is ready before the fork: between fork and exec it may only
  // make system calls (another thread may hold the allocator's lock).
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  const pid_t child = fork();
  if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (child > 0) return child;

  const int output = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (output >= 0) {
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
  }
  if (as.switch_to && (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 || setuid(as.uid) != 0)) {
    _exit(126);
  }
  // After setuid, which clears it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  execv(argv[0], argv.data());
  _exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string tail_of(const fs::path& log) {
  std::ifstream file{log};
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

}  // namespace

postgres_server::postgres_server() : binaries_(find_binaries()) {
  std::string pattern = (fs::temp_directory_path() / "livechat-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  directory_ = pattern;
  try {
    const account as = server_account();
    if (as.switch_to && chown(directory_.c_str(), as.uid, as.gid) != 0) {
      throw std::system_error(errno, std::generic_category(), "chown " + directory_.string());
    }
    {
      std::ofstream password_file{directory_ / "password"};
      password_file << password << '\n';
    }
    if (as.switch_to) chown((directory_ / "password").c_str(), as.uid, as.gid);

    // C.UTF-8 folds non-ASCII letters in lower(): the store must not rely on it.
    const int status = wait_exit(spawn(
        {(binaries_ / "initdb").string(), "--pgdata=" + (directory_ / "data").string(),
         std::string("--username=") + user, "--pwfile=" + (directory_ / "password").string(),
         "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"},
        directory_ / "initdb.log"));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("initdb failed:\n" + tail_of(directory_ / "initdb.log"));
    }
    port_ = free_port();
    start();
  } catch (...) {
    stop();
    throw;
  }
}

postgres_server::~postgres_server() { stop(); }

postgres_server& postgres_server::shared() {
  static postgres_server server;
  return server;
}

std::string postgres_server::url(const std::string& database) const {
  return "postgresql://" + std::string(user) + ":" + password + "@127.0.0.1:" +
         std::to_string(port_) + "/" + database;
}

void postgres_server::start() {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  const std::string ping = url("postgres");
  while (std::chrono::steady_clock::now() < deadline) {
    pid_ = spawn({(binaries_ / "postgres").string(), "-D", (directory_ / "data").string(), "-p",
                  std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c",
                  "unix_socket_directories=", "-c", "max_connections=200",
                  // After a kill -9, recovery first syncs the data directory: syncfs() is one
                  // call where the default fsyncs each file (seconds on a busy machine).
                  "-c", "recovery_init_sync_method=syncfs"},
                 directory_ / "postgres.log");
    for (;;) {
      if (PQping(ping.c_str()) == PQPING_OK) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        // Refused to start, most often because the processes of a killed server are still
        // leaving: try again.
        pid_ = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(20ms);
    }
  }
  stop();
  throw std::runtime_error("PostgreSQL did not start:\n" + tail_of(directory_ / "postgres.log"));
}

void postgres_server::kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
}

std::string postgres_server::create_database() {
  // A schema of its own in one shared database, named first in the connection's search_path:
  // as empty as a new database for the store, in a millisecond where CREATE DATABASE copies a
  // template and syncs it to disk.
  const std::string name = "test_" + std::to_string(++databases_created_);
  store::postgres::connection admin{url("postgres")};
  admin.execute("CREATE SCHEMA " + name);
  return url("postgres") + "?options=-c%20search_path%3D" + name;
}

void postgres_server::stop() noexcept {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown: disconnect clients, no waiting for them
    wait_exit(pid_);
    pid_ = -1;
  }
  std::error_code ignored;
  if (!directory_.empty()) fs::remove_all(directory_, ignored);
}

}  // namespace livechat::test
