#include "rooms/room_service.hpp"

#include <algorithm>
#include <limits>

#include "auth/password_hasher.hpp"
#include "model/client_error.hpp"
#include "model/ids.hpp"
#include "model/validation.hpp"

namespace livechat::rooms {

using model::client_errc;
using model::client_error;

namespace {

constexpr std::size_t max_name_length = 100;
constexpr std::size_t max_password_bytes = 128;

[[noreturn]] void throw_not_found() {
  throw client_error(client_errc::not_found, "no such chat room");
}

[[noreturn]] void throw_closed() {
  throw client_error(client_errc::room_closed, "the chat room is closed");
}

[[noreturn]] void throw_already_joined() {
  throw client_error(client_errc::already_joined, "already a member of this chat room");
}

}  // namespace

room_service::room_service(store::store& store, broker::broker& broker)
    : store_(store), broker_(broker) {}

model::room room_service::create(std::string_view creator, std::string_view name,
                                 std::optional<std::string_view> password) {
  const std::size_t length = model::utf8_length(name);
  if (length < 1 || length > max_name_length || !model::has_visible_text(name)) {
    throw client_error(client_errc::validation_error, "name must be 1 to 100 characters");
  }
  if (!model::has_no_nul(name)) {
    throw client_error(client_errc::validation_error, "name must not contain U+0000");
  }
  if (password && password->size() > max_password_bytes) {
    throw client_error(client_errc::validation_error, "password must be at most 128 bytes");
  }
  model::room room;
  room.id = model::new_uuid();
  room.name = std::string(name);
  room.creator = std::string(creator);
  if (password && !password->empty()) room.password_hash = auth::hash_password(*password);
  room.created_at = model::now();
  room.member_count = 1;
  store_.create_room(room);
  return room;
}

model::room room_service::get(std::string_view room_id) {
  auto room = store_.find_room(room_id);
  if (!room) throw_not_found();
  return std::move(*room);
}

store::room_page room_service::list(std::string_view name_filter, store::page_request page) {
  return store_.list_rooms(name_filter, page);
}

store::room_page room_service::list_joined(std::string_view user_id, store::page_request page) {
  return store_.list_member_rooms(user_id, page);
}

std::vector<model::message> room_service::join(std::string_view room_id,
                                               std::string_view user_id,
                                               std::optional<std::string_view> password) {
  const model::room room = get(room_id);
  if (room.closed) throw_closed();
  if (store_.is_member(room_id, user_id)) throw_already_joined();
  if (room.is_private() &&
      (!password || !auth::verify_password(*password, room.password_hash))) {
    throw client_error(client_errc::wrong_password, "wrong or missing password for this room");
  }
  // The checks above are for clear answers; add_member decides atomically.
  switch (store_.add_member(room_id, user_id)) {
    case store::join_outcome::joined:
      broker_.joined(std::string(room_id), std::string(user_id));
      break;
    case store::join_outcome::already_member: throw_already_joined();
    case store::join_outcome::room_closed: throw_closed();
    case store::join_outcome::room_not_found: throw_not_found();
  }
  auto latest = broker_.history_before(std::string(room_id),
                                       std::numeric_limits<std::int64_t>::max(), join_history_size);
  std::reverse(latest.begin(), latest.end());
  return latest;
}

void room_service::exit(std::string_view room_id, std::string_view user_id) {
  switch (store_.remove_member(room_id, user_id)) {
    case store::exit_outcome::exited:
      broker_.left(std::string(room_id), std::string(user_id));
      return;
    case store::exit_outcome::exited_and_closed:
      broker_.close(std::string(room_id));
      return;
    case store::exit_outcome::not_member:
      throw client_error(client_errc::not_joined, "not a member of this chat room");
    case store::exit_outcome::room_not_found: throw_not_found();
  }
}

}  // namespace livechat::rooms
