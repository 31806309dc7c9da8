#pragma once
// The durable store: users, refresh tokens, chat rooms, memberships and message history.
//
// One interface, one implementation per database (sqlite_store now, postgres_store for
// cluster mode). SQL and its dialect stay inside the implementations; callers see records.
//
// Promises every implementation keeps:
// * Every call is atomic: it happens entirely or not at all, even across a crash. A call that
//   returns has committed (durably: a `kill -9` right after it loses nothing).
// * Calls may come from any thread at once; the store serializes what must be serialized.
// * Failures of the database itself (disk full, connection lost) throw `store_error`; a
//   request that merely finds nothing returns an empty result or an outcome, never throws.

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/records.hpp"

namespace livechat::store {

/// The database failed (not a client's mistake); the caller answers 503 or retries.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A page of a list, as the REST API counts them: `page` from 0, `size` items per page.
struct page_request {
  std::int64_t page = 0;
  std::int64_t size = 20;
};

struct room_page {
  std::vector<model::room> rooms;  // newest first
  std::int64_t total = 0;          // rooms matching, over all pages
};

enum class join_outcome { joined, already_member, room_not_found, room_closed };
enum class exit_outcome { exited, exited_and_closed, not_member, room_not_found };
enum class refresh_outcome { rotated, reused, rejected };

class store {
 public:
  virtual ~store() = default;

  // --- users -------------------------------------------------------------------------------

  /// Adds `user`; false (and nothing changes) when its user id is taken.
  virtual bool create_user(const model::user& user) = 0;

  virtual std::optional<model::user> find_user(std::string_view user_id) = 0;

  // --- refresh tokens ----------------------------------------------------------------------

  /// Remembers a refresh token by its id, so that it can be spent exactly once. It starts a
  /// family of its own (a sign-in): the tokens that rotation descends from it join that family.
  virtual void save_refresh_token(std::string_view token_id, std::string_view user_id,
                                  model::timestamp expires_at) = 0;

  /// Spends `token_id` and records `next_token_id` (same user, same family, expiring at
  /// `next_expires_at`), in one transaction:
  /// * `rotated` for the first call on a known token that has not expired at `now`;
  /// * `reused` when the token was already spent (or revoked): it is taken as stolen, and every
  ///   token of its family is revoked in the same transaction, the ones not yet used included;
  /// * `rejected` for an unknown or expired token (nothing changes).
  /// Concurrent calls on the same token: exactly one rotates; the others see it spent and revoke
  /// the family, including the token the winner recorded.
  virtual refresh_outcome rotate_refresh_token(std::string_view token_id,
                                               std::string_view next_token_id,
                                               model::timestamp next_expires_at,
                                               model::timestamp now) = 0;

  // --- chat rooms --------------------------------------------------------------------------

  /// Creates `room` with its creator as its first member, in one transaction. The room's
  /// member_count and closed fields are ignored (1 and false).
  virtual void create_room(const model::room& room) = 0;

  virtual std::optional<model::room> find_room(std::string_view room_id) = 0;

  /// Rooms whose name contains `name_filter` ignoring ASCII case (all rooms when empty),
  /// newest first (ties broken by id, so pages never overlap).
  virtual room_page list_rooms(std::string_view name_filter, page_request page) = 0;

  /// Rooms `user_id` is a member of, newest first.
  virtual room_page list_member_rooms(std::string_view user_id, page_request page) = 0;

  virtual bool is_member(std::string_view room_id, std::string_view user_id) = 0;

  /// Adds a member unless the room is missing, closed, or already has them; the check and the
  /// insert are one transaction, so a room closed meanwhile is never joined.
  virtual join_outcome add_member(std::string_view room_id, std::string_view user_id) = 0;

  /// Removes a member. When the member is the room's creator the room is closed in the same
  /// transaction (exited_and_closed).
  virtual exit_outcome remove_member(std::string_view room_id, std::string_view user_id) = 0;

  // --- messages ----------------------------------------------------------------------------

  /// Appends messages whose ids the caller assigned, all in one transaction, in any order (a
  /// saver may store ids below ones another saver stored first). A message whose (room, id)
  /// is already stored is skipped, so that a retried batch writes nothing twice.
  virtual void append_messages(std::span<const model::message> messages) = 0;

  /// The highest message id stored for the room, 0 when it has none.
  virtual std::int64_t last_message_id(std::string_view room_id) = 0;

  /// Up to `limit` messages with id > `after_id`, ascending.
  virtual std::vector<model::message> messages_after(std::string_view room_id,
                                                     std::int64_t after_id,
                                                     std::int64_t limit) = 0;

  /// The last `limit` messages with id < `before_id`, ascending. With before_id = INT64_MAX:
  /// the latest messages.
  virtual std::vector<model::message> messages_before(std::string_view room_id,
                                                      std::int64_t before_id,
                                                      std::int64_t limit) = 0;

  // --- live-stream sessions ----------------------------------------------------------------

  /// Records that a session ended; false when it had already (the first end stays).
  virtual bool end_session(std::string_view session_id, model::timestamp ended_at) = 0;

  virtual bool is_session_ended(std::string_view session_id) = 0;

  // --- operations --------------------------------------------------------------------------

  /// True when the database answers a trivial query (readiness).
  virtual bool healthy() = 0;
};

}  // namespace livechat::store
