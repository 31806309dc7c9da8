#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/transaction.hpp"

namespace livechat::store {
namespace {

namespace fs = std::filesystem;

// A database path of its own under the system's temp directory, removed (with its WAL and
// shared-memory files) when the test ends.
class temp_database {
 public:
  temp_database() {
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("livechat-sqlite-test-" + std::to_string(random()) + std::to_string(random()) + ".db");
  }
  ~temp_database() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      fs::remove(path_.string() + suffix, ignored);
    }
  }
  temp_database(const temp_database&) = delete;
  temp_database& operator=(const temp_database&) = delete;

  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

model::timestamp at_ms(std::int64_t milliseconds) { return model::from_epoch_ms(milliseconds); }

model::user make_user(const std::string& user_id) {
  return model::user{user_id, "$argon2id$hash-of-" + user_id, at_ms(1'700'000'000'000)};
}

model::room make_room(const std::string& id, const std::string& name, const std::string& creator,
                      std::int64_t created_at_ms = 1'700'000'000'000,
                      const std::string& password_hash = "") {
  model::room room;
  room.id = id;
  room.name = name;
  room.creator = creator;
  room.password_hash = password_hash;
  room.created_at = at_ms(created_at_ms);
  return room;
}

model::message make_message(const std::string& room_id, std::int64_t id) {
  model::message message;
  message.room_id = room_id;
  message.id = id;
  message.sender = "alice";
  message.contents = "message " + std::to_string(id);
  message.sent_at = at_ms(1'700'000'000'000 + id);
  return message;
}

std::vector<std::int64_t> ids_of(const std::vector<model::message>& messages) {
  std::vector<std::int64_t> ids;
  for (const auto& message : messages) ids.push_back(message.id);
  return ids;
}

std::vector<std::string> ids_of(const room_page& page) {
  std::vector<std::string> ids;
  for (const auto& room : page.rooms) ids.push_back(room.id);
  return ids;
}

std::int64_t user_version(const std::string& path) {
  sqlite::connection database{path};
  auto row = database.prepare("PRAGMA user_version");
  return row.step() ? row.column_int64(0) : -1;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  SqliteStoreTest() : store_(std::make_unique<sqlite_store>(database_.path())) {}

  // Users that rooms and memberships may refer to.
  void add_users(std::initializer_list<const char*> user_ids) {
    for (const char* user_id : user_ids) ASSERT_TRUE(store_->create_user(make_user(user_id)));
  }

  temp_database database_;
  std::unique_ptr<sqlite_store> store_;
};

// --- users ---------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, CreatesAndFindsUser) {
  const model::user alice = make_user("alice");
  EXPECT_TRUE(store_->create_user(alice));

  const auto found = store_->find_user("alice");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, "alice");
  EXPECT_EQ(found->password_hash, alice.password_hash);
  EXPECT_EQ(found->created_at, alice.created_at);
}

TEST_F(SqliteStoreTest, DuplicateUserIsRefusedAndKeepsTheFirst) {
  ASSERT_TRUE(store_->create_user(make_user("alice")));
  model::user impostor = make_user("alice");
  impostor.password_hash = "other";
  EXPECT_FALSE(store_->create_user(impostor));
  EXPECT_EQ(store_->find_user("alice")->password_hash, make_user("alice").password_hash);
}

TEST_F(SqliteStoreTest, UnknownUserIsNotFound) { EXPECT_FALSE(store_->find_user("nobody")); }

// --- live-stream sessions ------------------------------------------------------------------

TEST_F(SqliteStoreTest, SessionEndsOnceAndStaysEndedAcrossReopening) {
  const std::string session = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  EXPECT_FALSE(store_->is_session_ended(session));
  EXPECT_TRUE(store_->end_session(session, model::from_epoch_ms(1000)));
  EXPECT_FALSE(store_->end_session(session, model::from_epoch_ms(2000)));
  EXPECT_TRUE(store_->is_session_ended(session));
  EXPECT_FALSE(store_->is_session_ended("0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5c"));

  store_.reset();
  store_ = std::make_unique<sqlite_store>(database_.path());
  EXPECT_TRUE(store_->is_session_ended(session));
}

// --- refresh tokens ------------------------------------------------------------------------

TEST_F(SqliteStoreTest, RefreshTokenIsSpentOnce) {
  add_users({"alice"});
  store_->save_refresh_token("token-1", "alice", at_ms(2'000));
  EXPECT_TRUE(store_->spend_refresh_token("token-1", at_ms(1'000)));
  EXPECT_FALSE(store_->spend_refresh_token("token-1", at_ms(1'000)));
}

TEST_F(SqliteStoreTest, ExpiredRefreshTokenIsRefused) {
  add_users({"alice"});
  store_->save_refresh_token("expired", "alice", at_ms(1'000));
  store_->save_refresh_token("expiring-now", "alice", at_ms(1'000));
  store_->save_refresh_token("last-moment", "alice", at_ms(1'000));
  EXPECT_FALSE(store_->spend_refresh_token("expired", at_ms(1'001)));
  EXPECT_FALSE(store_->spend_refresh_token("expiring-now", at_ms(1'000)));
  EXPECT_TRUE(store_->spend_refresh_token("last-moment", at_ms(999)));
}

TEST_F(SqliteStoreTest, UnknownRefreshTokenIsRefused) {
  EXPECT_FALSE(store_->spend_refresh_token("never-issued", at_ms(0)));
}

TEST_F(SqliteStoreTest, RefreshTokenOfUnknownUserIsAStoreError) {
  try {
    store_->save_refresh_token("token", "nobody", at_ms(1'000));
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("FOREIGN KEY constraint failed"), std::string::npos)
        << error.what();
  }
}

TEST_F(SqliteStoreTest, ConcurrentSpendsOfOneTokenHaveExactlyOneWinner) {
  add_users({"alice"});
  constexpr int threads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string token = "token-" + std::to_string(round);
    store_->save_refresh_token(token, "alice", at_ms(10'000));
    std::latch start{threads};
    std::atomic<int> winners{0};
    std::vector<std::jthread> spenders;
    for (int i = 0; i < threads; ++i) {
      spenders.emplace_back([&] {
        start.arrive_and_wait();
        if (store_->spend_refresh_token(token, at_ms(5'000))) ++winners;
      });
    }
    spenders.clear();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

// --- chat rooms ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, CreatedRoomHasItsCreatorAsOnlyMember) {
  add_users({"alice", "bob"});
  model::room room = make_room("room-1", "Lobby", "alice", 1'234, "$argon2id$secret");
  room.member_count = 7;  // ignored, as are…
  room.closed = true;     // …these
  store_->create_room(room);

  const auto found = store_->find_room("room-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "room-1");
  EXPECT_EQ(found->name, "Lobby");
  EXPECT_EQ(found->creator, "alice");
  EXPECT_EQ(found->password_hash, "$argon2id$secret");
  EXPECT_TRUE(found->is_private());
  EXPECT_EQ(found->created_at, at_ms(1'234));
  EXPECT_EQ(found->member_count, 1);
  EXPECT_FALSE(found->closed);
  EXPECT_TRUE(store_->is_member("room-1", "alice"));
  EXPECT_FALSE(store_->is_member("room-1", "bob"));
  EXPECT_EQ(ids_of(store_->list_member_rooms("alice", {})), std::vector<std::string>{"room-1"});
}

TEST_F(SqliteStoreTest, UnknownRoomIsNotFound) {
  EXPECT_FALSE(store_->find_room("no-such-room"));
  EXPECT_FALSE(store_->is_member("no-such-room", "alice"));
}

TEST_F(SqliteStoreTest, RoomOfUnknownCreatorIsAStoreErrorAndLeavesNothing) {
  EXPECT_THROW(store_->create_room(make_room("room-1", "Lobby", "nobody")), store_error);
  EXPECT_FALSE(store_->find_room("room-1"));
  EXPECT_EQ(store_->list_rooms("", {}).total, 0);
}

TEST_F(SqliteStoreTest, ListRoomsIsNewestFirstWithTiesById) {
  add_users({"alice"});
  store_->create_room(make_room("b", "second at 200", "alice", 200));
  store_->create_room(make_room("d", "oldest", "alice", 100));
  store_->create_room(make_room("c", "third at 200", "alice", 200));
  store_->create_room(make_room("a", "first at 200", "alice", 200));
  store_->create_room(make_room("e", "newest", "alice", 300));

  const room_page page = store_->list_rooms("", {0, 20});
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{"e", "a", "b", "c", "d"}));
  EXPECT_EQ(page.total, 5);
}

TEST_F(SqliteStoreTest, ListRoomsPagesWithoutOverlapAndCountsAll) {
  add_users({"alice"});
  // Seven rooms with one creation time: only the id tie-break keeps pages apart.
  for (int i = 0; i < 7; ++i) {
    store_->create_room(make_room("room-" + std::to_string(i), "room", "alice", 500));
  }
  std::vector<std::string> seen;
  const std::vector<std::size_t> expected_sizes{3, 3, 1, 0};
  for (std::int64_t page = 0; page < 4; ++page) {
    const room_page result = store_->list_rooms("", {page, 3});
    EXPECT_EQ(result.total, 7);
    EXPECT_EQ(result.rooms.size(), expected_sizes[page]) << "page " << page;
    for (const auto& room : result.rooms) seen.push_back(room.id);
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  EXPECT_EQ(seen.size(), 7u);
}

TEST_F(SqliteStoreTest, ListRoomsOutOfRangePagesAreEmpty) {
  add_users({"alice"});
  store_->create_room(make_room("room-1", "room", "alice"));
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  for (const page_request page : {page_request{0, 0}, page_request{-1, 20}, page_request{0, -5},
                                  page_request{huge, 100}, page_request{huge / 2, 3}}) {
    const room_page result = store_->list_rooms("", page);
    EXPECT_TRUE(result.rooms.empty()) << page.page << " x " << page.size;
    EXPECT_EQ(result.total, 1);
  }
}

TEST_F(SqliteStoreTest, ListRoomsFiltersBySubstringIgnoringAsciiCase) {
  add_users({"alice"});
  store_->create_room(make_room("1", "Alpha Chat", "alice", 1));
  store_->create_room(make_room("2", "ALPHABET soup", "alice", 2));
  store_->create_room(make_room("3", "beta", "alice", 3));
  store_->create_room(make_room("4", "100% done", "alice", 4));
  store_->create_room(make_room("5", "snake_case", "alice", 5));
  store_->create_room(make_room("6", "back\\slash", "alice", 6));
  store_->create_room(make_room("7", "Äpfel", "alice", 7));

  const auto matches = [&](std::string_view filter) {
    return ids_of(store_->list_rooms(filter, {0, 20}));
  };
  EXPECT_EQ(matches("alp"), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(matches("aLpHa c"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(matches("BETA"), (std::vector<std::string>{"3"}));  // "ALPHABET" has no "beta"…
  EXPECT_EQ(store_->list_rooms("bet", {0, 20}).total, 2);        // …but has "bet"
  // LIKE's wildcards and escape characters are ordinary characters here.
  EXPECT_EQ(matches("%"), (std::vector<std::string>{"4"}));
  EXPECT_EQ(matches("_"), (std::vector<std::string>{"5"}));
  EXPECT_EQ(matches("\\"), (std::vector<std::string>{"6"}));
  EXPECT_EQ(matches("e_c"), (std::vector<std::string>{"5"}));
  EXPECT_TRUE(matches("a%b").empty());
  EXPECT_EQ(matches("Äpfel"), (std::vector<std::string>{"7"}));
  EXPECT_TRUE(matches("no such room").empty());
  EXPECT_EQ(store_->list_rooms("no such room", {0, 20}).total, 0);
  EXPECT_EQ(store_->list_rooms("", {0, 20}).total, 7);
}

TEST_F(SqliteStoreTest, ListMemberRoomsShowsOnlyTheMembersRoomsNewestFirst) {
  add_users({"alice", "bob"});
  store_->create_room(make_room("old", "old", "alice", 100));
  store_->create_room(make_room("bobs", "bob's", "bob", 200));
  store_->create_room(make_room("new", "new", "alice", 300));
  ASSERT_EQ(store_->add_member("bobs", "alice"), join_outcome::joined);
  ASSERT_EQ(store_->add_member("old", "bob"), join_outcome::joined);

  room_page alices = store_->list_member_rooms("alice", {0, 20});
  EXPECT_EQ(ids_of(alices), (std::vector<std::string>{"new", "bobs", "old"}));
  EXPECT_EQ(alices.total, 3);

  room_page second_page = store_->list_member_rooms("alice", {1, 2});
  EXPECT_EQ(ids_of(second_page), (std::vector<std::string>{"old"}));
  EXPECT_EQ(second_page.total, 3);

  room_page bobs = store_->list_member_rooms("bob", {0, 20});
  EXPECT_EQ(ids_of(bobs), (std::vector<std::string>{"bobs", "old"}));
  EXPECT_EQ(bobs.rooms[1].member_count, 2);

  EXPECT_EQ(store_->list_member_rooms("nobody", {0, 20}).total, 0);
  EXPECT_TRUE(store_->list_member_rooms("nobody", {0, 20}).rooms.empty());
}

TEST_F(SqliteStoreTest, AddMemberOutcomes) {
  add_users({"alice", "bob", "carol"});
  store_->create_room(make_room("room-1", "room", "alice"));

  EXPECT_EQ(store_->add_member("room-1", "bob"), join_outcome::joined);
  EXPECT_TRUE(store_->is_member("room-1", "bob"));
  EXPECT_EQ(store_->find_room("room-1")->member_count, 2);

  EXPECT_EQ(store_->add_member("room-1", "bob"), join_outcome::already_member);
  EXPECT_EQ(store_->add_member("room-1", "alice"), join_outcome::already_member);
  EXPECT_EQ(store_->find_room("room-1")->member_count, 2);

  EXPECT_EQ(store_->add_member("no-such-room", "bob"), join_outcome::room_not_found);

  ASSERT_EQ(store_->remove_member("room-1", "alice"), exit_outcome::exited_and_closed);
  EXPECT_EQ(store_->add_member("room-1", "carol"), join_outcome::room_closed);
  EXPECT_FALSE(store_->is_member("room-1", "carol"));
  // Closed comes before already-member, as in the REST contract's order of errors.
  EXPECT_EQ(store_->add_member("room-1", "bob"), join_outcome::room_closed);
}

TEST_F(SqliteStoreTest, RemoveMemberOutcomes) {
  add_users({"alice", "bob", "carol"});
  store_->create_room(make_room("room-1", "room", "alice"));
  ASSERT_EQ(store_->add_member("room-1", "bob"), join_outcome::joined);
  ASSERT_EQ(store_->add_member("room-1", "carol"), join_outcome::joined);

  EXPECT_EQ(store_->remove_member("no-such-room", "bob"), exit_outcome::room_not_found);
  EXPECT_EQ(store_->remove_member("room-1", "nobody"), exit_outcome::not_member);

  EXPECT_EQ(store_->remove_member("room-1", "bob"), exit_outcome::exited);
  EXPECT_FALSE(store_->is_member("room-1", "bob"));
  EXPECT_EQ(store_->remove_member("room-1", "bob"), exit_outcome::not_member);
  auto room = store_->find_room("room-1");
  EXPECT_EQ(room->member_count, 2);
  EXPECT_FALSE(room->closed);

  EXPECT_EQ(store_->remove_member("room-1", "alice"), exit_outcome::exited_and_closed);
  room = store_->find_room("room-1");
  EXPECT_TRUE(room->closed);
  EXPECT_EQ(room->member_count, 1);
  EXPECT_FALSE(store_->is_member("room-1", "alice"));
  EXPECT_EQ(store_->add_member("room-1", "alice"), join_outcome::room_closed);
  EXPECT_EQ(store_->add_member("room-1", "bob"), join_outcome::room_closed);

  // The members left behind may still leave the closed room.
  EXPECT_EQ(store_->remove_member("room-1", "carol"), exit_outcome::exited);
  EXPECT_EQ(store_->find_room("room-1")->member_count, 0);
  EXPECT_EQ(store_->remove_member("room-1", "alice"), exit_outcome::not_member);
}

TEST_F(SqliteStoreTest, ConcurrentJoinsKeepMemberCountExact) {
  constexpr int threads = 8;
  add_users({"creator"});
  for (int i = 0; i < threads; ++i) {
    ASSERT_TRUE(store_->create_user(make_user("user-" + std::to_string(i))));
  }
  store_->create_room(make_room("room-1", "room", "creator"));

  std::latch start{threads};
  std::atomic<int> joined{0};
  std::vector<std::jthread> joiners;
  for (int i = 0; i < threads; ++i) {
    joiners.emplace_back([&, i] {
      start.arrive_and_wait();
      const std::string user = "user-" + std::to_string(i);
      if (store_->add_member("room-1", user) == join_outcome::joined) ++joined;
      // A second try from the same user changes nothing.
      if (store_->add_member("room-1", user) == join_outcome::joined) ++joined;
    });
  }
  joiners.clear();

  EXPECT_EQ(joined.load(), threads);
  EXPECT_EQ(store_->find_room("room-1")->member_count, threads + 1);
  EXPECT_EQ(store_->list_rooms("", {}).rooms.at(0).member_count, threads + 1);
}

TEST_F(SqliteStoreTest, ConcurrentJoinsAndExitsKeepMemberCountExact) {
  constexpr int threads = 8;
  add_users({"creator"});
  for (int i = 0; i < threads; ++i) {
    ASSERT_TRUE(store_->create_user(make_user("user-" + std::to_string(i))));
  }
  store_->create_room(make_room("room-1", "room", "creator"));

  std::latch start{threads};
  std::vector<std::jthread> members;
  for (int i = 0; i < threads; ++i) {
    members.emplace_back([&, i] {
      start.arrive_and_wait();
      const std::string user = "user-" + std::to_string(i);
      for (int round = 0; round < 10; ++round) {
        EXPECT_EQ(store_->add_member("room-1", user), join_outcome::joined);
        EXPECT_TRUE(store_->is_member("room-1", user));
        EXPECT_EQ(store_->remove_member("room-1", user), exit_outcome::exited);
      }
      // Odd users stay.
      if (i % 2 == 1) {
        EXPECT_EQ(store_->add_member("room-1", user), join_outcome::joined);
      }
    });
  }
  members.clear();
  EXPECT_EQ(store_->find_room("room-1")->member_count, 1 + threads / 2);
  EXPECT_EQ(store_->list_member_rooms("user-1", {}).total, 1);
  EXPECT_EQ(store_->list_member_rooms("user-0", {}).total, 0);
}

// --- messages ------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, AppendedMessagesReadBackWhole) {
  model::message message = make_message("session-1", 1);
  message.sender = "tenant's viewer";
  message.contents = "héllo 👋 \"quoted\" 'single'";
  message.nickname = "Viewer One";
  message.profile_img_url = "https://example.com/a.png";
  message.sent_at = at_ms(1'715'382'660'123);
  // No room row: a live-stream session's messages are kept all the same.
  store_->append_messages(std::vector{message});

  const auto read = store_->messages_after("session-1", 0, 10);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].room_id, "session-1");
  EXPECT_EQ(read[0].id, 1);
  EXPECT_EQ(read[0].sender, message.sender);
  EXPECT_EQ(read[0].contents, message.contents);
  EXPECT_EQ(read[0].sent_at, message.sent_at);
  EXPECT_EQ(read[0].nickname, message.nickname);
  EXPECT_EQ(read[0].profile_img_url, message.profile_img_url);
}

TEST_F(SqliteStoreTest, AppendSkipsMessagesAlreadyStored) {
  store_->append_messages(std::vector{make_message("room-1", 1), make_message("room-1", 2)});

  model::message retried = make_message("room-1", 2);
  retried.contents = "a different body";
  store_->append_messages(std::vector{retried, make_message("room-1", 3)});

  const auto read = store_->messages_after("room-1", 0, 10);
  EXPECT_EQ(ids_of(read), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(read[1].contents, "message 2");
}

TEST_F(SqliteStoreTest, AppendOfNothingIsHarmless) {
  store_->append_messages({});
  EXPECT_EQ(store_->last_message_id("room-1"), 0);
}

TEST_F(SqliteStoreTest, LastMessageIdIsPerRoom) {
  EXPECT_EQ(store_->last_message_id("room-1"), 0);
  std::vector<model::message> batch;
  for (int id = 1; id <= 12; ++id) batch.push_back(make_message("room-1", id));
  batch.push_back(make_message("room-2", 1));
  store_->append_messages(batch);
  EXPECT_EQ(store_->last_message_id("room-1"), 12);
  EXPECT_EQ(store_->last_message_id("room-2"), 1);
  EXPECT_EQ(store_->last_message_id("room-3"), 0);
}

TEST_F(SqliteStoreTest, MessagesAfterAndBeforeAreAscendingAndLimited) {
  std::vector<model::message> batch;
  for (int id = 1; id <= 10; ++id) batch.push_back(make_message("room-1", id));
  for (int id = 1; id <= 3; ++id) batch.push_back(make_message("room-2", id));
  store_->append_messages(batch);
  using ids = std::vector<std::int64_t>;

  EXPECT_EQ(ids_of(store_->messages_after("room-1", 3, 4)), (ids{4, 5, 6, 7}));
  EXPECT_EQ(ids_of(store_->messages_after("room-1", 8, 100)), (ids{9, 10}));
  EXPECT_EQ(ids_of(store_->messages_after("room-1", 10, 100)), ids{});
  EXPECT_EQ(ids_of(store_->messages_after("room-2", 0, 100)), (ids{1, 2, 3}));

  const std::int64_t latest = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(ids_of(store_->messages_before("room-1", latest, 3)), (ids{8, 9, 10}));
  EXPECT_EQ(ids_of(store_->messages_before("room-1", 5, 2)), (ids{3, 4}));
  EXPECT_EQ(ids_of(store_->messages_before("room-1", 5, 100)), (ids{1, 2, 3, 4}));
  EXPECT_EQ(ids_of(store_->messages_before("room-1", 1, 100)), ids{});

  // A limit of zero or less is an empty answer, not SQLite's "no limit".
  EXPECT_TRUE(store_->messages_after("room-1", 0, 0).empty());
  EXPECT_TRUE(store_->messages_after("room-1", 0, -1).empty());
  EXPECT_TRUE(store_->messages_before("room-1", latest, -1).empty());
  EXPECT_TRUE(store_->messages_after("no-such-room", 0, 10).empty());
}

TEST_F(SqliteStoreTest, ConcurrentWritersAndReadersNeverFail) {
  constexpr int threads = 8;
  constexpr int batches = 25;
  std::latch start{threads};
  std::vector<std::jthread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      const std::string room = "room-" + std::to_string(i);
      start.arrive_and_wait();
      for (int batch = 0; batch < batches; ++batch) {
        const std::int64_t first = batch * 2 + 1;
        store_->append_messages(std::vector{make_message(room, first), make_message(room, first + 1)});
        EXPECT_EQ(store_->last_message_id(room), first + 1);
        EXPECT_EQ(store_->messages_before(room, std::numeric_limits<std::int64_t>::max(), 2).size(), 2u);
        EXPECT_TRUE(store_->healthy());
      }
    });
  }
  workers.clear();
  for (int i = 0; i < threads; ++i) {
    EXPECT_EQ(store_->messages_after("room-" + std::to_string(i), 0, 1000).size(), 2u * batches);
  }
}

// --- operations ----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, IsHealthy) { EXPECT_TRUE(store_->healthy()); }

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
  add_users({"alice"});
  store_->save_refresh_token("token-1", "alice", at_ms(10'000));
  store_->save_refresh_token("token-2", "alice", at_ms(10'000));
  ASSERT_TRUE(store_->spend_refresh_token("token-1", at_ms(0)));
  store_->create_room(make_room("room-1", "Lobby", "alice"));
  store_->append_messages(std::vector{make_message("room-1", 1), make_message("room-1", 2)});

  store_.reset();
  store_ = std::make_unique<sqlite_store>(database_.path(), 2);

  EXPECT_TRUE(store_->find_user("alice"));
  EXPECT_FALSE(store_->spend_refresh_token("token-1", at_ms(0)));
  EXPECT_TRUE(store_->spend_refresh_token("token-2", at_ms(0)));
  ASSERT_TRUE(store_->find_room("room-1"));
  EXPECT_EQ(store_->find_room("room-1")->member_count, 1);
  EXPECT_TRUE(store_->is_member("room-1", "alice"));
  EXPECT_EQ(store_->last_message_id("room-1"), 2);
}

TEST_F(SqliteStoreTest, TwoInstancesOnOneFileSpendATokenOnce) {
  // As two processes would: separate pools and write locks, meeting only in SQLite's locks.
  sqlite_store other{database_.path(), 2};
  add_users({"alice"});
  constexpr int threads = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string token = "token-" + std::to_string(round);
    store_->save_refresh_token(token, "alice", at_ms(10'000));
    std::latch start{threads};
    std::atomic<int> winners{0};
    std::vector<std::jthread> spenders;
    for (int i = 0; i < threads; ++i) {
      spenders.emplace_back([&, i] {
        store& mine = i % 2 == 0 ? static_cast<store&>(*store_) : other;
        start.arrive_and_wait();
        if (mine.spend_refresh_token(token, at_ms(5'000))) ++winners;
      });
    }
    spenders.clear();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

// --- opening and migrations ----------------------------------------------------------------

TEST(SqliteOpenTest, ConfiguresEveryConnectionForDurability) {
  temp_database database;
  sqlite_store store{database.path()};
  sqlite::connection connection{database.path()};
  const auto pragma = [&](const char* sql) {
    auto row = connection.prepare(sql);
    return row.step() ? row.column_text(0) : std::string{};
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragma("PRAGMA busy_timeout"), "5000");
}

TEST(SqliteOpenTest, MigratesOnceAndReopensIdempotently) {
  temp_database database;
  const auto current = static_cast<std::int64_t>(sqlite::schema_migrations().size());
  { sqlite_store store{database.path()}; }
  EXPECT_EQ(user_version(database.path()), current);
  { sqlite_store store{database.path()}; }
  { sqlite_store store{database.path(), 1}; }
  EXPECT_EQ(user_version(database.path()), current);
}

TEST(SqliteOpenTest, NewerDatabaseIsRefused) {
  temp_database database;
  {
    sqlite::connection connection{database.path()};
    connection.execute("PRAGMA user_version = 999");
  }
  try {
    sqlite_store store{database.path()};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("newer"), std::string::npos) << error.what();
  }
  EXPECT_EQ(user_version(database.path()), 999);
}

TEST(SqliteOpenTest, MissingDirectoryIsAStoreError) {
  temp_database database;
  const std::string path = database.path() + "-missing-dir/livechat.db";
  try {
    sqlite_store store{path};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("unable to open"), std::string::npos) << error.what();
  }
}

TEST(SqliteOpenTest, FileThatIsNotADatabaseIsAStoreError) {
  temp_database database;
  {
    std::ofstream garbage{database.path(), std::ios::binary};
    garbage << std::string(8192, 'x');
  }
  try {
    sqlite_store store{database.path()};
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("not a database"), std::string::npos) << error.what();
  }
}

// The migration runner, on lists of our own. Each CREATE TABLE would fail if run twice.
const sqlite::migration create_first{"first", "CREATE TABLE first (x INTEGER)"};
const sqlite::migration create_second{"second", "CREATE TABLE second (y INTEGER)"};
const sqlite::migration broken_third{
    "third", "CREATE TABLE third (z INTEGER); INSERT INTO first VALUES (1); NOT SQL AT ALL"};

bool has_table(sqlite::connection& connection, const std::string& name) {
  return connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1")
      .bind_all(name)
      .step();
}

TEST(SqliteMigrationsTest, AppliesOnlyTheMissingOnes) {
  temp_database database;
  sqlite::connection connection{database.path()};
  const std::vector<sqlite::migration> one{create_first};
  const std::vector<sqlite::migration> two{create_first, create_second};

  sqlite::migrate(connection, one);
  EXPECT_EQ(user_version(database.path()), 1);
  EXPECT_TRUE(has_table(connection, "first"));
  EXPECT_FALSE(has_table(connection, "second"));

  sqlite::migrate(connection, two);
  sqlite::migrate(connection, two);
  EXPECT_EQ(user_version(database.path()), 2);
  EXPECT_TRUE(has_table(connection, "second"));

  EXPECT_THROW(sqlite::migrate(connection, one), store_error);
}

TEST(SqliteMigrationsTest, FailedMigrationLeavesTheVersionBeforeIt) {
  temp_database database;
  sqlite::connection connection{database.path()};
  const std::vector<sqlite::migration> three{create_first, create_second, broken_third};

  try {
    sqlite::migrate(connection, three);
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("version 3 (third)"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(user_version(database.path()), 2);
  EXPECT_FALSE(has_table(connection, "third"));
  EXPECT_FALSE(connection.prepare("SELECT 1 FROM first").step());
  EXPECT_FALSE(connection.in_transaction());
}

TEST(SqliteTransactionTest, RollsBackUnlessCommitted) {
  temp_database database;
  sqlite::connection connection{database.path()};
  connection.execute("CREATE TABLE t (x INTEGER)");
  {
    sqlite::transaction abandoned{connection, sqlite::transaction::kind::write};
    connection.prepare("INSERT INTO t VALUES (1)").run();
  }
  {
    sqlite::transaction kept{connection, sqlite::transaction::kind::write};
    connection.prepare("INSERT INTO t VALUES (2)").run();
    kept.commit();
  }
  auto rows = connection.prepare("SELECT x FROM t");
  ASSERT_TRUE(rows.step());
  EXPECT_EQ(rows.column_int64(0), 2);
  EXPECT_FALSE(rows.step());
}

TEST(SqliteStatementTest, ErrorsCarrySqlitesMessage) {
  temp_database database;
  sqlite::connection connection{database.path()};
  try {
    connection.prepare("SELECT * FROM no_such_table");
    FAIL() << "expected store_error";
  } catch (const store_error& error) {
    EXPECT_NE(std::string(error.what()).find("no such table: no_such_table"), std::string::npos)
        << error.what();
  }
  // A failed statement leaves its connection usable.
  EXPECT_TRUE(connection.prepare("SELECT 1").step());
}

}  // namespace
}  // namespace livechat::store
