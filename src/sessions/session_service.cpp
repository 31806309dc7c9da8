#include "sessions/session_service.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <limits>

#include "model/client_error.hpp"
#include "model/validation.hpp"

namespace livechat::sessions {

using model::client_errc;
using model::client_error;

namespace {

constexpr std::size_t max_sender_length = 100;
constexpr std::size_t max_nickname_length = 100;
constexpr std::size_t max_url_bytes = 2048;

bool is_web_url(std::string_view text) {
  const auto url = boost::urls::parse_absolute_uri(text);
  return url && (url->scheme() == "http" || url->scheme() == "https") && url->has_authority() &&
         !url->host().empty();
}

}  // namespace

session_service::session_service(store::store& store, broker::broker& broker,
                                 std::size_t max_message_length)
    : store_(store), broker_(broker), max_message_length_(max_message_length) {}

void session_service::check(const tenant_message& message) const {
  const std::size_t sender_length = model::utf8_length(message.sender);
  if (sender_length == 0 || sender_length > max_sender_length ||
      !model::has_visible_text(message.sender)) {
    throw client_error(client_errc::validation_error,
                       fmt::format("sender must be 1 to {} characters", max_sender_length));
  }
  const std::size_t contents_length = model::utf8_length(message.contents);
  if (contents_length == 0 || contents_length > max_message_length_ ||
      !model::has_visible_text(message.contents)) {
    throw client_error(client_errc::validation_error,
                       fmt::format("contents must be 1 to {} characters", max_message_length_));
  }
  if (model::utf8_length(message.nickname) > max_nickname_length) {
    throw client_error(client_errc::validation_error,
                       fmt::format("nickname must be at most {} characters", max_nickname_length));
  }
  for (const std::string_view text : {std::string_view(message.sender),
                                      std::string_view(message.contents),
                                      std::string_view(message.nickname),
                                      std::string_view(message.profile_img_url)}) {
    if (!model::has_no_nul(text)) {
      throw client_error(client_errc::validation_error,
                         "sender, contents, nickname and profileImgUrl must not contain U+0000");
    }
  }
  if (!message.profile_img_url.empty() &&
      (message.profile_img_url.size() > max_url_bytes || !is_web_url(message.profile_img_url))) {
    throw client_error(client_errc::validation_error,
                       "profileImgUrl must be an http(s) URL of at most 2048 bytes");
  }
}

destination_kind session_service::kind_of(const std::string& id) {
  if (store_.find_room(id)) return destination_kind::chat_room;
  if (store_.is_session_ended(id)) return destination_kind::ended_session;
  // Nothing is remembered of the id: a lookup (of any id, known or not) leaves nothing behind.
  return destination_kind::session;
}

void session_service::publish(const std::string& session_id, std::vector<tenant_message> messages,
                              publish_callback done) {
  for (const auto& message : messages) check(message);
  switch (kind_of(session_id)) {
    case destination_kind::chat_room:
      throw client_error(client_errc::forbidden,
                         "this id is a chat room's; members write to it, not the tenant");
    case destination_kind::ended_session:
      throw client_error(client_errc::session_ended, "the session has ended");
    case destination_kind::session: break;
  }
  const auto now = model::now();
  std::vector<model::message> kept;
  kept.reserve(messages.size());
  for (auto& message : messages) {
    kept.push_back(model::message{session_id, 0, std::move(message.sender),
                                  std::move(message.contents), now, std::move(message.nickname),
                                  std::move(message.profile_img_url), {}});
  }
  broker_.publish(std::move(kept), [done = std::move(done)](broker::publish_status status,
                                                            std::span<const model::message> saved) {
    std::vector<std::int64_t> ids;
    ids.reserve(saved.size());
    for (const auto& message : saved) ids.push_back(message.id);
    done(status, std::move(ids));
  });
}

void session_service::end(const std::string& session_id) {
  if (store_.find_room(session_id)) {
    throw client_error(client_errc::forbidden, "this id is a chat room's, not a session's");
  }
  store_.end_session(session_id, model::now());
  broker_.close(session_id);
}

std::vector<model::message> session_service::history(const std::string& session_id,
                                                     std::optional<std::int64_t> since_id,
                                                     std::int64_t limit) {
  // The tenant's key opens sessions, never a chat room's history.
  if (store_.find_room(session_id)) {
    throw client_error(client_errc::forbidden, "this id is a chat room's, not a session's");
  }
  if (since_id) return broker_.history_after(session_id, *since_id, limit);
  return broker_.history_before(session_id, std::numeric_limits<std::int64_t>::max(), limit);
}

}  // namespace livechat::sessions
