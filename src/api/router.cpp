#include "api/router.hpp"

#include <algorithm>

namespace livechat::api {
namespace {

constexpr std::string_view parameter_segment = "{}";

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> segments;
  std::size_t start = 1;  // patterns begin with '/'
  while (start <= pattern.size()) {
    const std::size_t end = std::min(pattern.find('/', start), pattern.size());
    std::string_view segment = pattern.substr(start, end - start);
    if (segment.starts_with('{') && segment.ends_with('}')) segment = parameter_segment;
    if (!segment.empty()) segments.emplace_back(segment);
    start = end + 1;
  }
  return segments;
}

// How well `route_segments` matches: nullopt for not at all, else the number of literal
// segments (more literal is more specific).
std::optional<std::size_t> match_score(const std::vector<std::string>& route_segments,
                                       const std::vector<std::string>& path) {
  if (route_segments.size() != path.size()) return std::nullopt;
  std::size_t literal = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (route_segments[i] == parameter_segment) continue;
    if (route_segments[i] != path[i]) return std::nullopt;
    ++literal;
  }
  return literal;
}

}  // namespace

void router::add(net::http::verb method, std::string_view pattern, execution where,
                 route_handler handler, password_predicate hashes_password) {
  routes_.push_back(route{method, split_pattern(pattern), where, std::move(handler),
                          std::move(hashes_password)});
}

route_match router::find(net::http::verb method, const std::vector<std::string>& segments) const {
  route_match result;
  std::size_t best_score = 0;
  for (const route& candidate : routes_) {
    const auto score = match_score(candidate.segments, segments);
    if (!score) continue;
    if (candidate.method != method) {
      if (std::find(result.allowed.begin(), result.allowed.end(), candidate.method) ==
          result.allowed.end()) {
        result.allowed.push_back(candidate.method);
      }
      continue;
    }
    if (result.matched == nullptr || *score > best_score) {
      result.matched = &candidate;
      best_score = *score;
    }
  }
  if (result.matched == nullptr) return result;
  result.allowed.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (result.matched->segments[i] == parameter_segment) result.parameters.push_back(segments[i]);
  }
  return result;
}

}  // namespace livechat::api
