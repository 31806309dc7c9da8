#include "app/saver_factory.hpp"

#include <unistd.h>

#include <array>
#include <string>

#include "app/broker_factory.hpp"
#include "app/store_factory.hpp"

namespace livechat::app {

saver::saver_options saver_options_of(const settings& config) {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host = {'l', 'o', 'c', 'a', 'l'};
  saver::saver_options options;
  options.consumer = std::string(host.data()) + ":" + std::to_string(config.port);
  options.history_size = config.history_size;
  return options;
}

std::unique_ptr<saver::background_saver> open_background_saver(const settings& config) {
  if (!config.with_saver) return nullptr;
  return std::make_unique<saver::background_saver>(redis_config_of(config), open_store(config),
                                                   saver_options_of(config));
}

}  // namespace livechat::app
