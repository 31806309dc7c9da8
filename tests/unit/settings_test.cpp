#include "app/settings.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace livechat::app {
namespace {

using namespace std::chrono_literals;
using environment = std::map<std::string, std::string>;

settings parse(std::vector<std::string> arguments, const environment& env = {}) {
  arguments.insert(arguments.begin(), "livechat");
  std::vector<const char*> argv;
  for (const auto& argument : arguments) argv.push_back(argument.c_str());
  return parse_settings(static_cast<int>(argv.size()), argv.data(),
                        [&env](const char* name) -> std::optional<std::string> {
                          const auto found = env.find(name);
                          if (found == env.end()) return std::nullopt;
                          return found->second;
                        });
}

// The message of the settings_error that parsing throws, or "" when it does not.
std::string error_of(std::vector<std::string> arguments, const environment& env = {}) {
  try {
    parse(std::move(arguments), env);
  } catch (const settings_error& error) {
    return error.what();
  }
  return "";
}

// `FLUSH_INTERVAL_MS` -> `--flush-interval-ms`, written out independently of the parser.
std::string flag_of(std::string variable) {
  for (char& c : variable) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
  return "--" + variable;
}

TEST(settings, has_the_documented_defaults) {
  const settings s = parse({});
  EXPECT_EQ(s.subcommand, command::serve);
  EXPECT_FALSE(s.with_saver);
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.port, 8080);
  EXPECT_GE(s.threads, 1u);
  EXPECT_EQ(s.data_dir, "./data");
  EXPECT_EQ(s.database_url, "");
  EXPECT_EQ(s.redis_host, "");
  EXPECT_EQ(s.redis_port, 6379);
  EXPECT_EQ(s.redis_password, "");
  EXPECT_EQ(s.redis_url, "");
  EXPECT_EQ(s.jwt_secret.size(), 32u);
  EXPECT_TRUE(s.jwt_secret_generated);
  EXPECT_EQ(s.access_token_ttl, 7200s);
  EXPECT_EQ(s.refresh_token_ttl, 604800s);
  EXPECT_EQ(s.livechat_api_key, "");
  EXPECT_EQ(s.tenant_base_url, "");
  EXPECT_EQ(s.billing_interval, 1000ms);
  EXPECT_EQ(s.flush_interval, 24ms);
  EXPECT_EQ(s.history_size, 1000u);
  EXPECT_EQ(s.max_message_length, 2000u);
  EXPECT_EQ(s.rate_limit_per_s, 10u);
  EXPECT_EQ(s.rate_limit_burst, 20u);
  EXPECT_EQ(s.cors_origins, std::vector<std::string>{"*"});
  EXPECT_TRUE(s.allows_any_origin());
  EXPECT_EQ(s.log_level, spdlog::level::info);
  EXPECT_FALSE(s.cluster_mode());
}

// The failure-injection seam (tests only) is on with exactly "1", and has no flag.
TEST(settings, failure_injection_is_off_unless_the_variable_is_1) {
  EXPECT_FALSE(parse({}).failure_injection);
  EXPECT_TRUE(parse({}, {{"LIVECHAT_FAILURE_INJECTION", "1"}}).failure_injection);
  EXPECT_FALSE(parse({}, {{"LIVECHAT_FAILURE_INJECTION", "yes"}}).failure_injection);
  EXPECT_FALSE(parse({}, {{"LIVECHAT_FAILURE_INJECTION", ""}}).failure_injection);
  EXPECT_NE(error_of({"--livechat-failure-injection", "1"}), "");
}

TEST(settings, generates_a_new_secret_every_start) {
  EXPECT_NE(parse({}).jwt_secret, parse({}).jwt_secret);
}

// One valid, non-default value per setting, and how to see that it was applied.
struct valid_value {
  const char* variable;
  const char* value;
  bool (*applied)(const settings&);
};

const valid_value valid_values[] = {
    {"HOST", "127.0.0.1", [](const settings& s) { return s.host == "127.0.0.1"; }},
    {"PORT", "9000", [](const settings& s) { return s.port == 9000; }},
    {"THREADS", "3", [](const settings& s) { return s.threads == 3; }},
    {"DATA_DIR", "/var/lib/livechat", [](const settings& s) { return s.data_dir == "/var/lib/livechat"; }},
    {"DATABASE_URL", "postgresql://u:p@db:5432/chat",
     [](const settings& s) { return s.database_url == "postgresql://u:p@db:5432/chat"; }},
    {"REDIS_HOST", "redis", [](const settings& s) { return s.redis_host == "redis"; }},
    {"REDIS_PORT", "6380", [](const settings& s) { return s.redis_port == 6380; }},
    {"REDIS_PASSWORD", "pw", [](const settings& s) { return s.redis_password == "pw"; }},
    {"REDIS_URL", "redis://cache:6379/0", [](const settings& s) { return s.redis_url == "redis://cache:6379/0"; }},
    {"JWT_SECRET", "another secret", [](const settings& s) { return s.jwt_secret == "another secret" && !s.jwt_secret_generated; }},
    {"ACCESS_TOKEN_TTL_S", "60", [](const settings& s) { return s.access_token_ttl == 60s; }},
    {"REFRESH_TOKEN_TTL_S", "120", [](const settings& s) { return s.refresh_token_ttl == 120s; }},
    {"LIVECHAT_API_KEY", "key", [](const settings& s) { return s.livechat_api_key == "key"; }},
    {"TENANT_BASE_URL", "https://tenant.example:8443/base",
     [](const settings& s) { return s.tenant_base_url == "https://tenant.example:8443/base"; }},
    {"BILLING_INTERVAL_MS", "250", [](const settings& s) { return s.billing_interval == 250ms; }},
    {"FLUSH_INTERVAL_MS", "0", [](const settings& s) { return s.flush_interval == 0ms; }},
    {"HISTORY_SIZE", "5", [](const settings& s) { return s.history_size == 5u; }},
    {"MAX_MESSAGE_LENGTH", "140", [](const settings& s) { return s.max_message_length == 140u; }},
    {"RATE_LIMIT_PER_S", "1", [](const settings& s) { return s.rate_limit_per_s == 1u; }},
    {"RATE_LIMIT_BURST", "2", [](const settings& s) { return s.rate_limit_burst == 2u; }},
    {"CORS_ORIGINS", "https://a.example, http://b.example:3000",
     [](const settings& s) {
       return s.cors_origins == std::vector<std::string>{"https://a.example", "http://b.example:3000"} &&
              !s.allows_any_origin();
     }},
    {"LOG_LEVEL", "debug", [](const settings& s) { return s.log_level == spdlog::level::debug; }},
};

// REDIS_HOST needs a JWT_SECRET of at least 32 bytes and a postgresql:// DATABASE_URL for
// `serve`: cluster mode refuses a random, a short key and a database other nodes cannot share.
const std::string long_secret = "a secret of thirty-two bytes....";
const environment secret = {{"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}};

TEST(settings, reads_every_setting_from_the_environment) {
  for (const auto& [variable, value, applied] : valid_values) {
    environment env = secret;
    env[variable] = value;
    EXPECT_TRUE(applied(parse({}, env))) << variable;
  }
}

TEST(settings, reads_every_setting_from_its_flag) {
  for (const auto& [variable, value, applied] : valid_values) {
    EXPECT_TRUE(applied(parse({flag_of(variable), value}, secret))) << variable;
    EXPECT_TRUE(applied(parse({flag_of(variable) + "=" + value}, secret))) << variable;
    EXPECT_TRUE(applied(parse({"serve", flag_of(variable), value}, secret))) << variable;
  }
}

TEST(settings, the_flag_wins_over_the_environment) {
  const environment env = {{"PORT", "1000"}, {"LOG_LEVEL", "error"}};
  const settings s = parse({"--port", "2000"}, env);
  EXPECT_EQ(s.port, 2000);
  EXPECT_EQ(s.log_level, spdlog::level::err);
  EXPECT_EQ(parse({"--port", "2000", "--port", "3000"}).port, 3000);
  // A bad environment value that a flag overrides is never looked at.
  EXPECT_EQ(parse({"--port", "2000"}, {{"PORT", "abc"}}).port, 2000);
}

TEST(settings, an_empty_value_counts_as_unset) {
  const settings s = parse({}, {{"PORT", ""}, {"REDIS_HOST", ""}, {"LOG_LEVEL", ""}});
  EXPECT_EQ(s.port, 8080);
  EXPECT_FALSE(s.cluster_mode());
  EXPECT_EQ(s.log_level, spdlog::level::info);
  EXPECT_EQ(parse({"--port", ""}).port, 8080);
}

TEST(settings, an_empty_jwt_secret_is_an_error) {
  EXPECT_TRUE(error_of({}, {{"JWT_SECRET", ""}}).starts_with("JWT_SECRET (--jwt-secret): "));
  EXPECT_TRUE(error_of({"--jwt-secret", ""}).starts_with("JWT_SECRET (--jwt-secret): "));
}

// What a saver needs: Redis to read from, PostgreSQL to write to.
const environment saver_environment = {{"REDIS_HOST", "redis"},
                                       {"DATABASE_URL", "postgresql://u:p@db/livechat"}};

TEST(settings, picks_the_subcommand) {
  EXPECT_EQ(parse({"serve"}).subcommand, command::serve);
  const settings saver = parse({"saver"}, saver_environment);
  EXPECT_EQ(saver.subcommand, command::saver);
  EXPECT_EQ(saver.port, 9090);
  environment on_port = saver_environment;
  on_port["PORT"] = "9100";
  EXPECT_EQ(parse({"saver"}, on_port).port, 9100);
  EXPECT_EQ(parse({"--port", "9100", "saver"}, saver_environment).port, 9100);
  EXPECT_EQ(parse({"bench"}).subcommand, command::bench);
  EXPECT_NE(error_of({"unknown"}), "");
  EXPECT_NE(error_of({"serve", "saver"}), "");
}

TEST(settings, with_saver_is_for_serve_only) {
  environment cluster = saver_environment;
  cluster["JWT_SECRET"] = std::string(32, 'k');
  EXPECT_FALSE(parse({"serve"}).with_saver);
  EXPECT_TRUE(parse({"serve", "--with-saver"}, cluster).with_saver);
  EXPECT_TRUE(parse({"--with-saver"}, cluster).with_saver);
  EXPECT_TRUE(error_of({"saver", "--with-saver"}, cluster).starts_with("--with-saver"));
}

TEST(settings, the_saver_needs_redis_and_postgresql) {
  EXPECT_TRUE(error_of({"saver"}).starts_with("REDIS_HOST (--redis-host): "));
  EXPECT_TRUE(error_of({"saver"}, {{"REDIS_URL", "redis://r"}})
                  .starts_with("DATABASE_URL (--database-url): "));
  EXPECT_TRUE(error_of({"saver"}, {{"REDIS_URL", "redis://r"}, {"DATABASE_URL", "sqlite:///x.db"}})
                  .starts_with("DATABASE_URL (--database-url): "));
  EXPECT_EQ(parse({"saver"}, {{"REDIS_URL", "redis://r"}, {"DATABASE_URL", "postgres://db/x"}})
                .subcommand,
            command::saver);
  // Embedded mode has no hand-off streams to read: its broker saves in-process.
  EXPECT_TRUE(error_of({"serve", "--with-saver"}).starts_with("--with-saver: "));
  environment sqlite_cluster = {{"REDIS_HOST", "redis"}, {"JWT_SECRET", std::string(32, 'k')}};
  EXPECT_TRUE(error_of({"serve", "--with-saver"}, sqlite_cluster).starts_with("DATABASE_URL"));
}

TEST(settings, leaves_everything_after_bench_to_it) {
  const settings s = parse({"--port", "9000", "bench", "--connections", "100", "--port", "1"});
  EXPECT_EQ(s.subcommand, command::bench);
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.bench_arguments,
            (std::vector<std::string>{"--connections", "100", "--port", "1"}));
  EXPECT_TRUE(parse({"bench"}).bench_arguments.empty());
  EXPECT_EQ(parse({"bench", "--help"}).bench_arguments, std::vector<std::string>{"--help"});
}

TEST(settings, refuses_unknown_flags) {
  EXPECT_NE(error_of({"--no-such-setting", "1"}), "");
  EXPECT_NE(error_of({"serve", "--no-such-setting"}), "");
  EXPECT_NE(error_of({"--port"}), "");  // value missing
}

struct invalid_value {
  const char* variable;
  const char* value;
};

const invalid_value invalid_values[] = {
    {"HOST", "localhost"},           {"HOST", "0.0.0.0:80"},
    {"PORT", "abc"},                 {"PORT", "0"},
    {"PORT", "65536"},               {"PORT", "-1"},
    {"PORT", "80x"},                 {"PORT", " 80"},
    {"PORT", "+80"},                 {"PORT", "80.0"},
    {"PORT", "99999999999999999999999"},
    {"THREADS", "0"},                {"THREADS", "1025"},
    {"DATABASE_URL", "mysql://db"},  {"DATABASE_URL", "sqlite://"},
    {"DATABASE_URL", "/tmp/x.db"},   {"REDIS_HOST", "a b"},
    {"REDIS_HOST", "redis://x"},     {"REDIS_PORT", "0"},
    {"REDIS_URL", "http://x"},       {"REDIS_URL", "redis://"},
    {"JWT_SECRET", "base64:"},       {"JWT_SECRET", "base64:!!!!"},
    {"JWT_SECRET", "base64:A"},      {"JWT_SECRET", "base64:AAEC/w==x"},
    {"JWT_SECRET", "base64:AAEC_w=="},  // URL-safe alphabet is not the standard one
    {"ACCESS_TOKEN_TTL_S", "0"},     {"ACCESS_TOKEN_TTL_S", "1h"},
    {"REFRESH_TOKEN_TTL_S", "0"},    {"REFRESH_TOKEN_TTL_S", "-5"},
    {"TENANT_BASE_URL", "ftp://x"},  {"TENANT_BASE_URL", "not a url"},
    {"TENANT_BASE_URL", "https://"}, {"TENANT_BASE_URL", "https://x/?q=1"},
    {"BILLING_INTERVAL_MS", "0"},    {"BILLING_INTERVAL_MS", "1e3"},
    {"FLUSH_INTERVAL_MS", "-1"},     {"FLUSH_INTERVAL_MS", "fast"},
    {"HISTORY_SIZE", "0"},           {"MAX_MESSAGE_LENGTH", "0"},
    {"RATE_LIMIT_PER_S", "0"},       {"RATE_LIMIT_BURST", "0"},
    {"RATE_LIMIT_BURST", "4294967297"},
    {"CORS_ORIGINS", "https://a.example/"}, {"CORS_ORIGINS", "a.example"},
    {"CORS_ORIGINS", ","},           {"LOG_LEVEL", "verbose"},
    {"LOG_LEVEL", "warning"},
};

TEST(settings, every_bad_value_is_refused_naming_its_setting) {
  for (const auto& [variable, value] : invalid_values) {
    const std::string name = std::string(variable) + " (" + flag_of(variable) + "): ";
    const std::string from_env = error_of({}, {{variable, value}});
    EXPECT_TRUE(from_env.starts_with(name)) << variable << "=" << value << " gave: " << from_env;
    const std::string from_flag = error_of({flag_of(variable) + "=" + value});
    EXPECT_TRUE(from_flag.starts_with(name)) << variable << "=" << value << " gave: " << from_flag;
  }
}

TEST(settings, says_what_is_wrong) {
  EXPECT_EQ(error_of({}, {{"PORT", "abc"}}),
            R"(PORT (--port): "abc" is not a port number (1-65535))");
  EXPECT_EQ(error_of({"--threads", "0"}),
            R"(THREADS (--threads): "0" is not a thread count (1-1024))");
}

TEST(settings, never_echoes_credentials) {
  for (const auto& [variable, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"DATABASE_URL", "mysql://user:hunter2@db"},
           {"REDIS_URL", "rediss://user:hunter2@cache"},
           {"TENANT_BASE_URL", "ftp://user:hunter2@tenant"},
           {"JWT_SECRET", "base64:hunter2!"},
       }) {
    const std::string message = error_of({}, {{variable, value}});
    EXPECT_NE(message, "") << variable;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

TEST(settings, redis_ip_is_an_alias_of_redis_host) {
  const settings s = parse({}, {{"REDIS_IP", "10.0.0.1"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}});
  EXPECT_EQ(s.redis_host, "10.0.0.1");
  EXPECT_TRUE(s.cluster_mode());
  EXPECT_EQ(parse({"--redis-ip", "10.0.0.2"}, secret).redis_host, "10.0.0.2");
  EXPECT_EQ(parse({}, {{"REDIS_HOST", "a"}, {"REDIS_IP", "b"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}}).redis_host, "a");
  EXPECT_EQ(parse({}, {{"REDIS_HOST", ""}, {"REDIS_IP", "b"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}}).redis_host, "b");
  EXPECT_EQ(parse({"--redis-host", "flag"}, {{"REDIS_IP", "b"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}}).redis_host,
            "flag");
  EXPECT_TRUE(error_of({}, {{"REDIS_IP", "a b"}}).starts_with("REDIS_IP (--redis-ip): "));
}

TEST(settings, a_short_jwt_secret_is_refused_in_cluster_mode_and_only_warned_about_else) {
  ASSERT_EQ(long_secret.size(), 32u);
  const std::string short_secret = long_secret.substr(1);
  EXPECT_TRUE(error_of({}, {{"REDIS_HOST", "cache"}, {"JWT_SECRET", short_secret}})
                  .starts_with("JWT_SECRET (--jwt-secret): must hold at least 32 bytes"));
  EXPECT_TRUE(error_of({}, {{"REDIS_URL", "redis://cache"}, {"JWT_SECRET", short_secret}})
                  .starts_with("JWT_SECRET (--jwt-secret): "));
  // base64: counts the decoded bytes: 43 characters of base64 are 32 bytes, 42 are 31.
  const std::string base64_32 = "base64:" + std::string(43, 'A');
  const std::string base64_31 = "base64:" + std::string(42, 'A');
  EXPECT_EQ(parse({}, {{"REDIS_HOST", "cache"}, {"JWT_SECRET", base64_32}, {"DATABASE_URL", "postgresql://db/chat"}}).jwt_secret.size(), 32u);
  EXPECT_NE(error_of({}, {{"REDIS_HOST", "cache"}, {"JWT_SECRET", base64_31}}), "");
  EXPECT_EQ(parse({}, {{"REDIS_HOST", "cache"}, {"JWT_SECRET", long_secret},
                       {"DATABASE_URL", "postgresql://db/chat"}}).jwt_secret,
            long_secret);
  // Embedded mode starts, and the server warns.
  EXPECT_TRUE(jwt_secret_is_short(parse({}, {{"JWT_SECRET", short_secret}})));
  EXPECT_TRUE(jwt_secret_is_short(parse({}, {{"JWT_SECRET", base64_31}})));
  EXPECT_FALSE(jwt_secret_is_short(parse({}, {{"JWT_SECRET", long_secret}})));
  EXPECT_FALSE(jwt_secret_is_short(parse({})));  // the random key is 32 bytes
  // The saver signs nothing.
  EXPECT_EQ(parse({"saver"}, {{"REDIS_HOST", "cache"}, {"JWT_SECRET", short_secret},
                              {"DATABASE_URL", "postgresql://db/chat"}})
                .subcommand,
            command::saver);
}

TEST(settings, cluster_mode_needs_a_postgresql_database) {
  for (const environment& env : {environment{{"REDIS_HOST", "redis"}, {"JWT_SECRET", long_secret}},
                                 environment{{"REDIS_URL", "redis://cache"}, {"JWT_SECRET", long_secret},
                                             {"DATABASE_URL", "sqlite:///tmp/x.db"}}}) {
    EXPECT_TRUE(error_of({}, env).starts_with("DATABASE_URL (--database-url): ")) << error_of({}, env);
  }
  EXPECT_TRUE(parse({}, {{"REDIS_HOST", "redis"}, {"JWT_SECRET", long_secret},
                         {"DATABASE_URL", "postgres://u@db/chat"}})
                  .cluster_mode());
}

TEST(settings, decodes_a_base64_secret) {
  const std::string expected("\x00\x01\x02\xff", 4);
  EXPECT_EQ(parse({}, {{"JWT_SECRET", "base64:AAEC/w=="}}).jwt_secret, expected);
  EXPECT_EQ(parse({}, {{"JWT_SECRET", "base64:AAEC/w"}}).jwt_secret, expected);
  EXPECT_EQ(parse({"--jwt-secret", "base64:AAEC/w=="}).jwt_secret, expected);
  EXPECT_FALSE(parse({}, {{"JWT_SECRET", "base64:AAEC/w=="}}).jwt_secret_generated);
  // Without the prefix, the bytes as written.
  EXPECT_EQ(parse({}, {{"JWT_SECRET", "AAEC/w=="}}).jwt_secret, "AAEC/w==");
}

TEST(settings, cluster_mode_follows_redis) {
  EXPECT_FALSE(parse({}, secret).cluster_mode());
  EXPECT_TRUE(parse({}, {{"REDIS_HOST", "redis"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}}).cluster_mode());
  EXPECT_TRUE(parse({}, {{"REDIS_URL", "redis://redis"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}}).cluster_mode());
  EXPECT_FALSE(parse({}, {{"REDIS_PORT", "6380"}, {"REDIS_PASSWORD", "pw"}}).cluster_mode());
}

TEST(settings, cluster_mode_serve_needs_a_jwt_secret) {
  EXPECT_TRUE(error_of({}, {{"REDIS_HOST", "redis"}}).starts_with("JWT_SECRET (--jwt-secret): "));
  EXPECT_TRUE(error_of({"serve", "--redis-url", "redis://r"}).starts_with("JWT_SECRET"));
  // The saver signs nothing.
  EXPECT_TRUE(parse({"saver"}, saver_environment).jwt_secret_generated);
}

TEST(settings, redis_host_and_redis_url_exclude_each_other) {
  EXPECT_TRUE(error_of({}, {{"REDIS_HOST", "a"}, {"REDIS_URL", "redis://b"}, {"JWT_SECRET", long_secret}, {"DATABASE_URL", "postgresql://db/chat"}})
                  .starts_with("REDIS_URL (--redis-url): "));
}

TEST(settings, normalizes_what_has_one_meaning) {
  EXPECT_EQ(parse({}, {{"TENANT_BASE_URL", "http://tenant/"}}).tenant_base_url, "http://tenant");
  EXPECT_EQ(parse({}, {{"LOG_LEVEL", "WARN"}}).log_level, spdlog::level::warn);
  EXPECT_EQ(parse({}, {{"LOG_LEVEL", "off"}}).log_level, spdlog::level::off);
  EXPECT_EQ(parse({}, {{"CORS_ORIGINS", "*"}}).cors_origins, std::vector<std::string>{"*"});
  EXPECT_EQ(parse({}, {{"DATABASE_URL", "sqlite:///tmp/x.db"}}).database_url, "sqlite:///tmp/x.db");
  EXPECT_EQ(parse({}, {{"DATABASE_URL", "postgres://db/chat"}}).database_url, "postgres://db/chat");
  EXPECT_EQ(parse({}, {{"HOST", "::"}}).host, "::");
}

TEST(settings, help_lists_every_setting_with_its_default) {
  std::string help;
  try {
    parse({"--help"});
  } catch (const settings_help& request) {
    help = request.what();
  }
  for (const auto& [variable, value, applied] : valid_values) {
    EXPECT_NE(help.find(flag_of(variable)), std::string::npos) << variable;
    EXPECT_NE(help.find(std::string(variable) + ": "), std::string::npos) << variable;
  }
  for (const char* expected : {"--redis-ip", "--with-saver", "serve", "saver", "bench",
                               "[default: 8080; saver: 9090]", "[default: 24]", "[default: *]"}) {
    EXPECT_NE(help.find(expected), std::string::npos) << expected;
  }
  EXPECT_THROW(parse({"-h"}), settings_help);
  EXPECT_THROW(parse({"serve", "--help"}), settings_help);
  EXPECT_THROW(parse({"--help"}, {{"PORT", "abc"}}), settings_help);
}

}  // namespace
}  // namespace livechat::app
