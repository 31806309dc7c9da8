#include "app/settings.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <string_view>
#include <thread>

namespace livechat::app {
namespace {

// `FLUSH_INTERVAL_MS` -> `--flush-interval-ms`.
std::string flag_name(std::string_view variable) {
  std::string flag = "--";
  for (const char c : variable) {
    flag.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return flag;
}

// How a setting is named in messages: `PORT (--port)`.
std::string display_name(std::string_view variable) {
  return fmt::format("{} ({})", variable, flag_name(variable));
}

[[noreturn]] void fail(const std::string& name, std::string_view problem) {
  throw settings_error(fmt::format("{}: {}", name, problem));
}

std::uint64_t parse_whole_number(const std::string& name, const std::string& text,
                                 std::uint64_t min, std::uint64_t max, std::string_view what) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stopped_at, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stopped_at != end || value < min || value > max) {
    fail(name, fmt::format("\"{}\" is not {} ({}-{})", text, what, min, max));
  }
  return value;
}

std::uint16_t parse_port(const std::string& name, const std::string& text) {
  return static_cast<std::uint16_t>(parse_whole_number(name, text, 1, 65535, "a port number"));
}

constexpr std::uint64_t max_ttl_s = 315'360'000;          // ten years
constexpr std::uint64_t max_billing_interval_ms = 86'400'000;  // a day
constexpr std::uint64_t max_flush_interval_ms = 60'000;   // beyond a minute it is not live
constexpr std::uint64_t max_history_size = 10'000'000;
constexpr std::uint64_t max_message_length = 1'000'000;
constexpr std::uint64_t max_rate = 1'000'000;
constexpr std::size_t generated_secret_size = 32;  // as long as the HS256 output
// A shorter HMAC key is weaker than the hash it keys, and may be guessed offline from any token.
constexpr std::size_t min_jwt_secret_size = 32;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// `base64:<data>`, standard alphabet, with or without the `=` padding.
std::string decode_base64_secret(const std::string& name, std::string_view data) {
  std::string bytes(data.size() / 4 * 3 + 3, '\0');
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL,
                            sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    std::size_t length = 0;
    // No end pointer: libsodium then refuses anything after the data, not just stops there.
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                          data.data(), data.size(), nullptr, &length, nullptr, variant) == 0) {
      if (length == 0) fail(name, "the key after \"base64:\" is empty");
      bytes.resize(length);
      return bytes;
    }
  }
  fail(name, "the text after \"base64:\" is not valid base64 (standard alphabet)");
}

std::string parse_jwt_secret(const std::string& name, const std::string& text) {
  constexpr std::string_view base64_prefix = "base64:";
  if (starts_with(text, base64_prefix)) {
    return decode_base64_secret(name, std::string_view(text).substr(base64_prefix.size()));
  }
  return text;
}

std::string parse_host(const std::string& name, const std::string& text) {
  boost::system::error_code error;
  boost::asio::ip::make_address(text, error);
  if (error) fail(name, fmt::format("\"{}\" is not an IP address (e.g. 0.0.0.0, 127.0.0.1, ::)", text));
  return text;
}

std::string parse_redis_host(const std::string& name, const std::string& text) {
  const bool plausible = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':';
  });
  if (!plausible) fail(name, fmt::format("\"{}\" is not a host name or IP address", text));
  return text;
}

// URLs may hold credentials: their text never goes into a message.
std::string parse_database_url(const std::string& name, const std::string& text) {
  if (starts_with(text, "sqlite://")) {
    if (text.size() == std::string_view("sqlite://").size()) fail(name, "sqlite:// names no file");
    return text;
  }
  if (starts_with(text, "postgresql://") || starts_with(text, "postgres://")) return text;
  fail(name, "must start with sqlite://, postgresql:// or postgres://");
}

std::string parse_redis_url(const std::string& name, const std::string& text) {
  if (!starts_with(text, "redis://") || text.size() == std::string_view("redis://").size()) {
    fail(name, "must be a redis:// URL");
  }
  return text;
}

std::string parse_tenant_base_url(const std::string& name, const std::string& text) {
  const auto url = boost::urls::parse_absolute_uri(text);
  const bool valid = url && (url->scheme_id() == boost::urls::scheme::http ||
                             url->scheme_id() == boost::urls::scheme::https) &&
                     url->has_authority() && !url->host().empty() && !url->has_query() &&
                     !url->has_fragment();
  if (!valid) fail(name, "is not an http:// or https:// URL (without query or fragment)");
  // The billing path is appended to it: `https://tenant/` + `/api/v1/billings` would double the /.
  std::string base = text;
  while (base.ends_with('/')) base.pop_back();
  return base;
}

std::vector<std::string> parse_cors_origins(const std::string& name, const std::string& text) {
  std::vector<std::string> origins;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    // Browsers send `scheme://host[:port]` exactly; a path or a trailing / would never match.
    const auto scheme_end = item.find("://");
    const bool origin = scheme_end != std::string_view::npos && scheme_end > 0 &&
                        item.size() > scheme_end + 3 &&
                        item.find_first_of("/ \t", scheme_end + 3) == std::string_view::npos;
    if (item != "*" && !origin) {
      fail(name, fmt::format("\"{}\" is neither * nor an origin (scheme://host[:port])", item));
    }
    origins.emplace_back(item);
  }
  if (origins.empty()) fail(name, "lists no origin");
  return origins;
}

spdlog::level::level_enum parse_log_level(const std::string& name, const std::string& text) {
  static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> levels{{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  }};
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [level_name, level] : levels) {
    if (lower == level_name) return level;
  }
  fail(name, fmt::format(
                 "\"{}\" is not a log level (trace, debug, info, warn, error, critical, off)",
                 text));
}

// One row of SPEC.md section 1's table: how to show it in --help and how to apply a value.
struct setting_definition {
  const char* variable;
  const char* alias;  // another variable of the same meaning, or nullptr
  const char* default_text;
  const char* meaning;
  void (*apply)(settings& out, const std::string& value, const std::string& name);
};

const auto definitions = std::to_array<setting_definition>({
    {"HOST", nullptr, "0.0.0.0", "IP address to listen on",
     [](settings& s, const std::string& v, const std::string& n) { s.host = parse_host(n, v); }},
    {"PORT", nullptr, "8080; saver: 9090", "TCP port to listen on",
     [](settings& s, const std::string& v, const std::string& n) { s.port = parse_port(n, v); }},
    {"THREADS", nullptr, "number of cores", "I/O threads (1-1024)",
     [](settings& s, const std::string& v, const std::string& n) {
       s.threads = static_cast<unsigned>(parse_whole_number(n, v, 1, 1024, "a thread count"));
     }},
    {"DATA_DIR", nullptr, "./data", "directory of the SQLite file (embedded mode)",
     [](settings& s, const std::string& v, const std::string&) { s.data_dir = v; }},
    {"DATABASE_URL", nullptr, "SQLite in DATA_DIR",
     "sqlite:///path.db or postgresql://user:pw@host:port/db",
     [](settings& s, const std::string& v, const std::string& n) {
       s.database_url = parse_database_url(n, v);
     }},
    {"REDIS_HOST", "REDIS_IP", "none", "Redis host: turns cluster mode on (alias REDIS_IP)",
     [](settings& s, const std::string& v, const std::string& n) {
       s.redis_host = parse_redis_host(n, v);
     }},
    {"REDIS_PORT", nullptr, "6379", "Redis port",
     [](settings& s, const std::string& v, const std::string& n) {
       s.redis_port = parse_port(n, v);
     }},
    {"REDIS_PASSWORD", nullptr, "none", "Redis password",
     [](settings& s, const std::string& v, const std::string&) { s.redis_password = v; }},
    {"REDIS_URL", nullptr, "none", "redis://[user:pw@]host[:port][/db], instead of REDIS_HOST",
     [](settings& s, const std::string& v, const std::string& n) {
       s.redis_url = parse_redis_url(n, v);
     }},
    {"JWT_SECRET", nullptr, "random per start",
     "HMAC key for tokens: its bytes as written, or base64:<data>; required in cluster mode",
     [](settings& s, const std::string& v, const std::string& n) {
       s.jwt_secret = parse_jwt_secret(n, v);
     }},
    {"ACCESS_TOKEN_TTL_S", nullptr, "7200", "access token lifetime, seconds",
     [](settings& s, const std::string& v, const std::string& n) {
       s.access_token_ttl = std::chrono::seconds(
           parse_whole_number(n, v, 1, max_ttl_s, "a number of seconds"));
     }},
    {"REFRESH_TOKEN_TTL_S", nullptr, "604800", "refresh token lifetime, seconds",
     [](settings& s, const std::string& v, const std::string& n) {
       s.refresh_token_ttl = std::chrono::seconds(
           parse_whole_number(n, v, 1, max_ttl_s, "a number of seconds"));
     }},
    {"LIVECHAT_API_KEY", nullptr, "none", "key of the tenant server API (disabled without it)",
     [](settings& s, const std::string& v, const std::string&) { s.livechat_api_key = v; }},
    {"TENANT_BASE_URL", nullptr, "none", "http(s) URL that usage reports are posted to",
     [](settings& s, const std::string& v, const std::string& n) {
       s.tenant_base_url = parse_tenant_base_url(n, v);
     }},
    {"BILLING_INTERVAL_MS", nullptr, "1000", "usage reporting period, milliseconds",
     [](settings& s, const std::string& v, const std::string& n) {
       s.billing_interval = std::chrono::milliseconds(
           parse_whole_number(n, v, 1, max_billing_interval_ms, "a number of milliseconds"));
     }},
    {"FLUSH_INTERVAL_MS", nullptr, "24", "delivery tick, milliseconds; 0 = at once",
     [](settings& s, const std::string& v, const std::string& n) {
       s.flush_interval = std::chrono::milliseconds(
           parse_whole_number(n, v, 0, max_flush_interval_ms, "a number of milliseconds"));
     }},
    {"HISTORY_SIZE", nullptr, "1000", "recent messages kept per room for resume",
     [](settings& s, const std::string& v, const std::string& n) {
       s.history_size = parse_whole_number(n, v, 1, max_history_size, "a message count");
     }},
    {"MAX_MESSAGE_LENGTH", nullptr, "2000", "characters allowed in a message's contents",
     [](settings& s, const std::string& v, const std::string& n) {
       s.max_message_length =
           parse_whole_number(n, v, 1, max_message_length, "a character count");
     }},
    {"RATE_LIMIT_PER_S", nullptr, "10", "messages a user may send per room and second",
     [](settings& s, const std::string& v, const std::string& n) {
       s.rate_limit_per_s = static_cast<std::uint32_t>(
           parse_whole_number(n, v, 1, max_rate, "a number of messages"));
     }},
    {"RATE_LIMIT_BURST", nullptr, "20", "messages a user may send at once per room",
     [](settings& s, const std::string& v, const std::string& n) {
       s.rate_limit_burst = static_cast<std::uint32_t>(
           parse_whole_number(n, v, 1, max_rate, "a number of messages"));
     }},
    {"MAX_VIEWERS_PER_SESSION", nullptr, "0",
     "listeners one live-stream session may have on this node; 0 = no limit",
     [](settings& s, const std::string& v, const std::string& n) {
       s.max_viewers_per_session = static_cast<std::size_t>(
           parse_whole_number(n, v, 0, 100'000'000, "a number of connections"));
     }},
    {"MAX_STREAMS_PER_IP", nullptr, "0",
     "SSE and WebSocket connections one client address may hold; 0 = no limit",
     [](settings& s, const std::string& v, const std::string& n) {
       s.max_streams_per_ip = static_cast<std::size_t>(
           parse_whole_number(n, v, 0, 100'000'000, "a number of connections"));
     }},
    {"MAX_SUBSCRIPTIONS_PER_CONNECTION", nullptr, "100",
     "STOMP subscriptions one connection may hold; one more is an ERROR",
     [](settings& s, const std::string& v, const std::string& n) {
       s.max_subscriptions_per_connection = static_cast<std::size_t>(
           parse_whole_number(n, v, 1, 100'000'000, "a number of subscriptions"));
     }},
    {"MAX_STREAMS", nullptr, "0",
     "WebSocket and SSE connections this node holds at once; 0 = the descriptor limit less 256",
     [](settings& s, const std::string& v, const std::string& n) {
       s.max_streams = static_cast<std::size_t>(
           parse_whole_number(n, v, 0, 100'000'000, "a number of connections"));
     }},
    {"CORS_ORIGINS", nullptr, "*", "allowed origins, comma-separated; * = any",
     [](settings& s, const std::string& v, const std::string& n) {
       s.cors_origins = parse_cors_origins(n, v);
     }},
    {"LOG_LEVEL", nullptr, "info", "trace, debug, info, warn, error, critical or off",
     [](settings& s, const std::string& v, const std::string& n) {
       s.log_level = parse_log_level(n, v);
     }},
});

// Where a setting's value came from, for the message that names it.
struct raw_value {
  std::string text;
  std::string name;
};

std::optional<raw_value> find_value(const setting_definition& definition,
                                    const CLI::Option& option, const std::string& flag_value,
                                    const environment_lookup& getenv) {
  if (option.count() > 0) return raw_value{flag_value, display_name(definition.variable)};
  // A non-empty variable first, so that `REDIS_HOST=` does not hide REDIS_IP.
  std::optional<raw_value> empty;
  for (const char* variable : {definition.variable, definition.alias}) {
    if (variable == nullptr) continue;
    auto text = getenv(variable);
    if (!text) continue;
    if (!text->empty()) return raw_value{std::move(*text), display_name(variable)};
    if (!empty) empty = raw_value{"", display_name(variable)};
  }
  return empty;
}

unsigned default_threads() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 1024u);
}

std::string random_secret() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialized");
  std::string secret(generated_secret_size, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

}  // namespace

bool settings::allows_any_origin() const {
  return std::find(cors_origins.begin(), cors_origins.end(), "*") != cors_origins.end();
}

std::optional<std::string> process_environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

settings parse_settings(int argc, const char* const* argv, const environment_lookup& getenv) {
  CLI::App app{"livechat: a live-chat server (REST, WebSocket/STOMP, Server-Sent Events)",
               "livechat"};
  app.footer(
      "Every setting is also read from the environment variable shown; the flag wins.\n"
      "An empty value counts as unset, except for JWT_SECRET.\n"
      "Settings for `bench` go before it; what follows `bench` is the bench's own.");
  app.get_formatter()->column_width(34);

  std::array<std::string, definitions.size()> flag_values;
  std::array<CLI::Option*, definitions.size()> options{};
  for (std::size_t i = 0; i < definitions.size(); ++i) {
    const auto& definition = definitions[i];
    std::string names = flag_name(definition.variable);
    if (definition.alias != nullptr) names += "," + flag_name(definition.alias);
    options[i] = app.add_option(names, flag_values[i],
                                fmt::format("{}: {} [default: {}]", definition.variable,
                                            definition.meaning, definition.default_text))
                     ->type_name("VALUE")
                     ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  bool with_saver = false;
  app.add_flag("--with-saver", with_saver,
               "serve only: also run the persistence worker in-process (cluster mode)");

  // Subcommands let settings stand on either side of them: `livechat serve --port 1`.
  auto* serve = app.add_subcommand("serve", "run the server (the default)")->fallthrough();
  auto* saver = app.add_subcommand("saver", "run the persistence worker (Redis stream to database)")
                    ->fallthrough();
  // The load generator parses its own arguments, `--help` included: everything after `bench`
  // is left to it.
  auto* bench = app.add_subcommand("bench", "run the load generator; its own arguments follow it")
                    ->prefix_command();
  bench->set_help_flag();
  for (auto* subcommand : {serve, saver}) {
    subcommand->footer("Every setting of `livechat --help` applies here too.");
  }
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      std::ostringstream out;
      std::ostringstream err;
      app.exit(error, out, err);  // prints the help of the app or subcommand that was asked
      throw settings_help(out.str());
    }
    throw settings_error(fmt::format("{} (run with --help for the settings)", error.what()));
  }

  settings result;
  if (saver->parsed()) {
    result.subcommand = command::saver;
    result.port = 9090;
  } else if (bench->parsed()) {
    result.subcommand = command::bench;
    result.bench_arguments = bench->remaining();
  }
  if (with_saver && result.subcommand != command::serve) {
    throw settings_error("--with-saver: only `livechat serve` takes it");
  }
  result.with_saver = with_saver;
  result.threads = default_threads();

  for (std::size_t i = 0; i < definitions.size(); ++i) {
    const auto value = find_value(definitions[i], *options[i], flag_values[i], getenv);
    if (!value) continue;
    if (value->text.empty()) {
      if (std::string_view(definitions[i].variable) == "JWT_SECRET") {
        fail(value->name, "is empty; leave it unset for a random key");
      }
      continue;
    }
    definitions[i].apply(result, value->text, value->name);
  }

  result.failure_injection = getenv("LIVECHAT_FAILURE_INJECTION") == std::optional<std::string>("1");

  if (!result.redis_host.empty() && !result.redis_url.empty()) {
    fail(display_name("REDIS_URL"), "set either REDIS_URL or REDIS_HOST (REDIS_IP), not both");
  }
  if (result.with_saver && !result.cluster_mode()) {
    throw settings_error(
        "--with-saver: runs cluster mode's saver and needs REDIS_HOST (REDIS_IP) or REDIS_URL; "
        "embedded mode saves messages in-process without it");
  }
  if (result.subcommand == command::saver || result.with_saver) {
    if (!result.cluster_mode()) {
      fail(display_name("REDIS_HOST"),
           "the saver reads the hand-off streams from Redis: set REDIS_HOST (REDIS_IP) or REDIS_URL");
    }
    if (!result.database_url.starts_with("postgresql://") &&
        !result.database_url.starts_with("postgres://")) {
      fail(display_name("DATABASE_URL"),
           "the saver writes to PostgreSQL: set a postgresql:// URL");
    }
  }
  if (result.jwt_secret.empty()) {
    if (result.subcommand == command::serve && result.cluster_mode()) {
      fail(display_name("JWT_SECRET"),
           "must be set in cluster mode, so that every node signs tokens with the same key");
    }
    result.jwt_secret = random_secret();
    result.jwt_secret_generated = true;
  }
  if (result.subcommand == command::serve && result.cluster_mode() && jwt_secret_is_short(result)) {
    fail(display_name("JWT_SECRET"),
         fmt::format("must hold at least {} bytes in cluster mode (decoded bytes for base64:)",
                     min_jwt_secret_size));
  }
  if (result.subcommand == command::serve && result.cluster_mode() &&
      !starts_with(result.database_url, "postgresql://") &&
      !starts_with(result.database_url, "postgres://")) {
    // SPEC 1: the nodes of a cluster share users, rooms and history; SQLite cannot be shared.
    fail(display_name("DATABASE_URL"),
         "must be a postgresql:// URL in cluster mode (REDIS_HOST, REDIS_IP or REDIS_URL is set)");
  }
  return result;
}

bool jwt_secret_is_short(const settings& config) {
  return config.jwt_secret.size() < min_jwt_secret_size;
}

}  // namespace livechat::app
