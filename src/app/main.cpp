// livechat: a live-chat server. `livechat [serve|saver|bench] [--setting value…]`.

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/broker_factory.hpp"
#include "app/logging.hpp"
#include "app/saver_factory.hpp"
#include "app/server.hpp"
#include "app/settings.hpp"
#include "app/store_factory.hpp"
#include "bench/bench_run.hpp"
#include "saver/saver_process.hpp"

namespace {

using livechat::app::command;

constexpr int exit_bad_settings = 2;
constexpr int exit_failure = 1;

int run_saver(const livechat::app::settings& config) {
  const auto database = livechat::app::open_store(config);
  livechat::saver::saver_process_options options;
  options.host = config.host;
  options.port = config.port;
  options.redis = livechat::app::redis_config_of(config);
  options.saver = livechat::app::saver_options_of(config);
  return livechat::saver::run_saver_process(options, *database);
}

int serve(const livechat::app::settings& config) {
  if (config.jwt_secret_generated) {
    spdlog::warn("JWT_SECRET is not set: tokens are signed with a random key and stop working "
                 "when the server restarts");
  }
  if (livechat::app::jwt_secret_is_short(config)) {
    spdlog::warn("JWT_SECRET holds fewer than 32 bytes: tokens signed with a short key can be "
                 "forged by guessing it; cluster mode refuses to start with one");
  }
  if (config.failure_injection) {
    spdlog::warn("LIVECHAT_FAILURE_INJECTION=1: a request may make its connection's writes fail "
                 "(a test seam; never set it in production)");
  }
  livechat::app::server server(config);
  server.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  livechat::app::settings config;
  try {
    config = livechat::app::parse_settings(argc, argv, livechat::app::process_environment);
  } catch (const livechat::app::settings_help& help) {
    std::cout << help.what() << std::flush;
    return 0;
  } catch (const livechat::app::settings_error& error) {
    std::cerr << "livechat: " << error.what() << std::endl;
    return exit_bad_settings;
  }
  livechat::app::configure_logging(config.log_level);
  if (sodium_init() < 0) {
    spdlog::critical("libsodium failed to initialize");
    return exit_failure;
  }

  try {
    switch (config.subcommand) {
      case command::serve: return serve(config);
      case command::bench: return livechat::bench::run_bench(config.bench_arguments);
      case command::saver: return run_saver(config);
    }
  } catch (const std::exception& error) {
    spdlog::critical("{}", error.what());
    return exit_failure;
  }
  return exit_failure;
}
