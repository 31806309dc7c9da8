#pragma once
// Live-stream sessions (SPEC.md section 6): rooms with no members, written by the tenant's
// backend and read by anyone. A session exists from its first message or listener and ends
// when the tenant says so; the end is kept in the store, so it holds across restarts.
// Throws model::client_error with the contract's codes.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "model/records.hpp"
#include "store/store.hpp"

namespace livechat::sessions {

/// One message as the tenant sends it; `sender` is the tenant's word, not a user of ours.
struct tenant_message {
  std::string sender;
  std::string contents;
  std::string nickname;         // optional: empty when not given
  std::string profile_img_url;  // optional: empty when not given
};

/// What a `/chat/{id}` or stream id names.
enum class destination_kind { chat_room, session, ended_session };

/// The ids given to a publish, in order, when `status` is `kept`; empty otherwise (`closed`:
/// the session ended meanwhile; `unavailable`: nothing was kept).
using publish_callback =
    std::function<void(broker::publish_status status, std::vector<std::int64_t> ids)>;

class session_service {
 public:
  session_service(store::store& store, broker::broker& broker, std::size_t max_message_length);

  /// Checks every message (VALIDATION_ERROR), that the session has not ended (SESSION_ENDED)
  /// and that the id is no chat room's (FORBIDDEN), then publishes them all, in order; `done`
  /// runs once they are kept. Blocks on the store: call it from a worker.
  void publish(const std::string& session_id, std::vector<tenant_message> messages,
               publish_callback done);

  /// Ends the session: listeners get `closed`, later publishes SESSION_ENDED. Idempotent.
  void end(const std::string& session_id);

  /// Messages after `since_id` (the latest when nullopt), ascending, at most `limit`. A
  /// session with none answers an empty list; a chat room's id is FORBIDDEN.
  std::vector<model::message> history(const std::string& session_id,
                                      std::optional<std::int64_t> since_id, std::int64_t limit);

  /// Whether `id` is a chat room, an open session or an ended one. Blocks.
  destination_kind kind_of(const std::string& id);

  /// Validates one tenant message (lengths, URL shape); VALIDATION_ERROR.
  void check(const tenant_message& message) const;

 private:
  store::store& store_;
  broker::broker& broker_;
  const std::size_t max_message_length_;
};

}  // namespace livechat::sessions
