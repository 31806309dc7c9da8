#pragma once
// Chat rooms: creating, finding, joining and leaving them. A room with a password is private;
// its creator is its first member; when the creator leaves, the room closes for good.
// Throws model::client_error with the contract's codes.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.hpp"
#include "model/records.hpp"
#include "store/store.hpp"

namespace livechat::rooms {

/// How many messages a join answers with (the latest, newest first).
inline constexpr std::int64_t join_history_size = 100;

class room_service {
 public:
  /// Memberships and rooms live in `store`; `broker` is told of closes, exits and joins (it
  /// tells every node's listeners and refuses a former member's messages) and gives history.
  room_service(store::store& store, broker::broker& broker);

  /// A new room created by `creator`. VALIDATION_ERROR for a name that is not 1–100
  /// characters with something visible, or a password over 128 bytes. An empty password
  /// makes a public room.
  model::room create(std::string_view creator, std::string_view name,
                     std::optional<std::string_view> password);

  /// NOT_FOUND when there is no such room.
  model::room get(std::string_view room_id);

  store::room_page list(std::string_view name_filter, store::page_request page);
  store::room_page list_joined(std::string_view user_id, store::page_request page);

  /// Makes `user_id` a member and returns the room's latest messages, newest first.
  /// NOT_FOUND, ROOM_CLOSED, ALREADY_JOINED, WRONG_PASSWORD (missing or wrong, private rooms).
  std::vector<model::message> join(std::string_view room_id, std::string_view user_id,
                                   std::optional<std::string_view> password);

  /// Ends `user_id`'s membership; the creator's exit closes the room.
  /// NOT_FOUND, NOT_JOINED.
  void exit(std::string_view room_id, std::string_view user_id);

 private:
  store::store& store_;
  broker::broker& broker_;
};

}  // namespace livechat::rooms
