// The API documents built into the binary agree with the server: the OpenAPI document lists
// exactly the routes the real server registers (method and path), so neither can change
// without the other; every file the pages need is built in.

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include "app/server.hpp"
#include "web/embedded_files.hpp"

namespace livechat {
namespace {

namespace http = net::http;

// "GET /chatrooms/{}/messages": parameters written as "{}", whatever their name.
std::string route_key(std::string_view method, const std::vector<std::string>& segments) {
  std::string key(method);
  key += ' ';
  if (segments.empty()) key += '/';
  for (const std::string& segment : segments) key += '/' + segment;
  return key;
}

std::set<std::string> router_table(const api::router& routes) {
  std::set<std::string> table;
  for (const api::route& each : routes.routes()) {
    table.insert(route_key(http::to_string(each.method), each.segments));
  }
  return table;
}

std::set<std::string> document_table(const boost::json::object& document) {
  static const std::set<std::string> methods = {"get",     "put",  "post",  "delete",
                                                "options", "head", "patch", "trace"};
  std::set<std::string> table;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    std::vector<std::string> segments;
    std::string_view rest = path;
    while (!rest.empty()) {
      rest.remove_prefix(1);  // the '/'
      const std::string_view segment = rest.substr(0, rest.find('/'));
      rest.remove_prefix(segment.size());
      if (segment.empty()) continue;
      segments.emplace_back(segment.starts_with('{') ? "{}" : segment);
    }
    for (const auto& [method, operation] : item.as_object()) {
      if (!methods.contains(std::string(method))) continue;  // "parameters" and the like
      std::string upper(method);
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      table.insert(route_key(upper, segments));
    }
  }
  return table;
}

std::vector<std::string> only_in(const std::set<std::string>& left, const std::set<std::string>& right) {
  std::vector<std::string> difference;
  std::set_difference(left.begin(), left.end(), right.begin(), right.end(),
                      std::back_inserter(difference));
  return difference;
}

class ApiDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() /
                ("livechat-api-docs-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(data_dir_);
  }
  void TearDown() override { std::filesystem::remove_all(data_dir_); }

  std::filesystem::path data_dir_;
};

TEST_F(ApiDocsTest, OpenApiListsExactlyTheServersRoutes) {
  app::settings config;
  config.host = "127.0.0.1";
  config.port = 0;  // any free port: the server binds in its constructor
  config.threads = 1;
  config.data_dir = data_dir_.string();
  config.jwt_secret = std::string(32, 'k');
  config.livechat_api_key = "key";
  const app::server server(config);

  const web::embedded_file* file = web::find_embedded_file("v3/api-docs");
  ASSERT_NE(file, nullptr);
  const boost::json::object document = boost::json::parse(file->body).as_object();
  const auto routes = router_table(server.routes());
  const auto documented = document_table(document);

  EXPECT_GT(routes.size(), 20u);
  EXPECT_TRUE(routes.contains("POST /users/signup"));
  EXPECT_EQ(only_in(routes, documented), std::vector<std::string>{})
      << "routes the OpenAPI document (docs/api/openapi.json) does not list";
  EXPECT_EQ(only_in(documented, routes), std::vector<std::string>{})
      << "routes in the OpenAPI document that the server does not have";
}

TEST(EmbeddedFiles, EveryServedFileIsBuiltIn) {
  for (const char* name : {"index.html", "assets/app.js", "assets/app.css", "assets/stomp.umd.min.js",
                           "swagger-ui/index.html", "swagger-ui/swagger-initializer.js",
                           "swagger-ui/swagger-ui.css", "swagger-ui/swagger-ui-bundle.js",
                           "v3/api-docs", "asyncapi.yaml"}) {
    const web::embedded_file* file = web::find_embedded_file(name);
    ASSERT_NE(file, nullptr) << name;
    EXPECT_FALSE(file->body.empty()) << name;
    EXPECT_EQ(file->sha256.size(), 64u) << name;
  }
  EXPECT_EQ(web::find_embedded_file("assets/missing.js"), nullptr);
  EXPECT_EQ(web::find_embedded_file(""), nullptr);
}

TEST(EmbeddedFiles, ContentTypesFollowExtensions) {
  EXPECT_EQ(web::find_embedded_file("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(web::find_embedded_file("assets/app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(web::find_embedded_file("assets/app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(web::find_embedded_file("v3/api-docs")->content_type, "application/json");
  EXPECT_EQ(web::find_embedded_file("asyncapi.yaml")->content_type, "application/yaml; charset=utf-8");
}

}  // namespace
}  // namespace livechat
