#include "app/store_factory.hpp"

#include <filesystem>
#include <system_error>

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"

namespace livechat::app {

namespace {

constexpr std::string_view sqlite_scheme = "sqlite://";

std::unique_ptr<store::store> open_sqlite(const std::filesystem::path& file) {
  const auto directory = file.parent_path();
  std::error_code error;
  if (!directory.empty()) std::filesystem::create_directories(directory, error);
  if (error) {
    throw store::store_error("cannot create the database directory " + directory.string() + ": " +
                             error.message());
  }
  return std::make_unique<store::sqlite_store>(file.string());
}

}  // namespace

std::unique_ptr<store::store> open_store(const settings& config) {
  if (config.database_url.empty()) {
    return open_sqlite(std::filesystem::path(config.data_dir) / "livechat.db");
  }
  if (config.database_url.starts_with(sqlite_scheme)) {
    // sqlite:///abs/path.db names /abs/path.db; sqlite://rel.db a path relative to the cwd.
    return open_sqlite(config.database_url.substr(sqlite_scheme.size()));
  }
  // Settings let nothing else through: the rest is postgresql:// or postgres://, which libpq
  // reads as they are.
  return std::make_unique<store::postgres_store>(config.database_url);
}

}  // namespace livechat::app
