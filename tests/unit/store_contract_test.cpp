// The store contract (store/store.hpp), run against every implementation: SQLite on a temporary
// file, PostgreSQL on a fresh database of a real server started for this test binary. What only
// one implementation has (opening, migrations, reconnecting) is tested beside it:
// sqlite_store_test.cpp, postgres_store_test.cpp.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <latch>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"
#include "support/postgres_server.hpp"
#include "store_test_support.hpp"

namespace livechat::store {
namespace {

using namespace store_testing;

// A backend is a database of its own for one test, and how to open a store on it.
struct sqlite_backend {
  static constexpr const char* name = "sqlite";
  temp_database file;
  std::unique_ptr<store> open(std::size_t connections = 4) const {
    return std::make_unique<sqlite_store>(file.path(), connections);
  }
};

struct postgres_backend {
  static constexpr const char* name = "postgres";
  std::string url = test::postgres_server::shared().create_database();
  std::unique_ptr<store> open(std::size_t connections = 4) const {
    return std::make_unique<postgres_store>(url, connections);
  }
};

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  // Users that rooms and memberships may refer to.
  void add_users(std::initializer_list<const char*> user_ids) {
    for (const char* user_id : user_ids) ASSERT_TRUE(store_->create_user(make_user(user_id)));
  }

  Backend backend_;
  std::unique_ptr<store> store_ = backend_.open();
};

struct backend_names {
  template <typename Backend>
  static std::string GetName(int) {
    return Backend::name;
  }
};

using backends = ::testing::Types<sqlite_backend, postgres_backend>;
TYPED_TEST_SUITE(StoreContractTest, backends, backend_names);

// --- users ---------------------------------------------------------------------------------

TYPED_TEST(StoreContractTest, CreatesAndFindsUser) {
  const model::user alice = make_user("alice");
  EXPECT_TRUE(this->store_->create_user(alice));

  const auto found = this->store_->find_user("alice");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user_id, "alice");
  EXPECT_EQ(found->password_hash, alice.password_hash);
  EXPECT_EQ(found->created_at, alice.created_at);
}

TYPED_TEST(StoreContractTest, DuplicateUserIsRefusedAndKeepsTheFirst) {
  ASSERT_TRUE(this->store_->create_user(make_user("alice")));
  model::user impostor = make_user("alice");
  impostor.password_hash = "other";
  EXPECT_FALSE(this->store_->create_user(impostor));
  EXPECT_EQ(this->store_->find_user("alice")->password_hash, make_user("alice").password_hash);
}

TYPED_TEST(StoreContractTest, UnknownUserIsNotFound) {
  EXPECT_FALSE(this->store_->find_user("nobody"));
}

// --- live-stream sessions ------------------------------------------------------------------

TYPED_TEST(StoreContractTest, SessionEndsOnceAndStaysEndedAcrossReopening) {
  const std::string session = "0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  EXPECT_FALSE(this->store_->is_session_ended(session));
  EXPECT_TRUE(this->store_->end_session(session, model::from_epoch_ms(1000)));
  EXPECT_FALSE(this->store_->end_session(session, model::from_epoch_ms(2000)));
  EXPECT_TRUE(this->store_->is_session_ended(session));
  EXPECT_FALSE(this->store_->is_session_ended("0e8b6f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5c"));

  this->store_.reset();
  this->store_ = this->backend_.open();
  EXPECT_TRUE(this->store_->is_session_ended(session));
}

// --- refresh tokens ------------------------------------------------------------------------

TYPED_TEST(StoreContractTest, RefreshTokenIsSpentOnce) {
  this->add_users({"alice"});
  this->store_->save_refresh_token("token-1", "alice", at_ms(2'000));
  EXPECT_TRUE(spend(*this->store_, "token-1", at_ms(1'000)));
  EXPECT_FALSE(spend(*this->store_, "token-1", at_ms(1'000)));
}

TYPED_TEST(StoreContractTest, ExpiredRefreshTokenIsRefused) {
  this->add_users({"alice"});
  this->store_->save_refresh_token("expired", "alice", at_ms(1'000));
  this->store_->save_refresh_token("expiring-now", "alice", at_ms(1'000));
  this->store_->save_refresh_token("last-moment", "alice", at_ms(1'000));
  EXPECT_FALSE(spend(*this->store_, "expired", at_ms(1'001)));
  EXPECT_FALSE(spend(*this->store_, "expiring-now", at_ms(1'000)));
  EXPECT_TRUE(spend(*this->store_, "last-moment", at_ms(999)));
}

TYPED_TEST(StoreContractTest, UnknownRefreshTokenIsRefused) {
  EXPECT_EQ(this->store_->rotate_refresh_token("never-issued", "next", at_ms(9'000), at_ms(0)),
            refresh_outcome::rejected);
}

TYPED_TEST(StoreContractTest, RotationRecordsTheSuccessorInTheFamily) {
  this->add_users({"alice"});
  this->store_->save_refresh_token("sign-in", "alice", at_ms(10'000));
  EXPECT_EQ(this->store_->rotate_refresh_token("sign-in", "second", at_ms(10'000), at_ms(1'000)),
            refresh_outcome::rotated);
  EXPECT_EQ(this->store_->rotate_refresh_token("second", "third", at_ms(10'000), at_ms(2'000)),
            refresh_outcome::rotated);
  // The successor expires when it was told to, not when its parent did.
  EXPECT_EQ(this->store_->rotate_refresh_token("third", "fourth", at_ms(20'000), at_ms(9'999)),
            refresh_outcome::rotated);
  EXPECT_EQ(this->store_->rotate_refresh_token("fourth", "fifth", at_ms(20'000), at_ms(19'999)),
            refresh_outcome::rotated);
}

TYPED_TEST(StoreContractTest, ReusedRefreshTokenRevokesItsWholeFamilyAndNoOther) {
  this->add_users({"alice"});
  this->store_->save_refresh_token("sign-in", "alice", at_ms(10'000));
  this->store_->save_refresh_token("other-sign-in", "alice", at_ms(10'000));
  ASSERT_EQ(this->store_->rotate_refresh_token("sign-in", "second", at_ms(10'000), at_ms(0)),
            refresh_outcome::rotated);
  ASSERT_EQ(this->store_->rotate_refresh_token("second", "third", at_ms(10'000), at_ms(0)),
            refresh_outcome::rotated);

  // The first token again: stolen. The live descendant "third" dies with it.
  EXPECT_EQ(this->store_->rotate_refresh_token("sign-in", "thief", at_ms(10'000), at_ms(0)),
            refresh_outcome::reused);
  EXPECT_EQ(this->store_->rotate_refresh_token("third", "fourth", at_ms(10'000), at_ms(0)),
            refresh_outcome::reused);
  EXPECT_EQ(this->store_->rotate_refresh_token("thief", "x", at_ms(10'000), at_ms(0)),
            refresh_outcome::rejected)
      << "a reuse records no successor";
  // Another sign-in of the same user is another family.
  EXPECT_EQ(this->store_->rotate_refresh_token("other-sign-in", "next", at_ms(10'000), at_ms(0)),
            refresh_outcome::rotated);
}

TYPED_TEST(StoreContractTest, ReuseRacingARotationRevokesTheWinnersSuccessor) {
  this->add_users({"alice"});
  constexpr int threads = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string token = "token-" + std::to_string(round);
    this->store_->save_refresh_token(token, "alice", at_ms(10'000));
    std::latch start{threads};
    std::vector<std::jthread> presenters;
    for (int i = 0; i < threads; ++i) {
      presenters.emplace_back([&, i] {
        start.arrive_and_wait();
        this->store_->rotate_refresh_token(token, token + "-next-" + std::to_string(i),
                                           at_ms(10'000), at_ms(5'000));
      });
    }
    presenters.clear();
    // Whoever won, its successor was revoked by the others' reuse.
    for (int i = 0; i < threads; ++i) {
      EXPECT_NE(this->store_->rotate_refresh_token(token + "-next-" + std::to_string(i), "after",
                                                   at_ms(10'000), at_ms(5'000)),
                refresh_outcome::rotated)
          << "round " << round << ", presenter " << i;
    }
  }
}

TYPED_TEST(StoreContractTest, RefreshTokenOfUnknownUserIsAStoreError) {
  EXPECT_THROW(this->store_->save_refresh_token("token", "nobody", at_ms(1'000)), store_error);
}

TYPED_TEST(StoreContractTest, ConcurrentSpendsOfOneTokenHaveExactlyOneWinner) {
  this->add_users({"alice"});
  constexpr int threads = 8;
  for (int round = 0; round < 10; ++round) {
    const std::string token = "token-" + std::to_string(round);
    this->store_->save_refresh_token(token, "alice", at_ms(10'000));
    std::latch start{threads};
    std::atomic<int> winners{0};
    std::vector<std::jthread> spenders;
    for (int i = 0; i < threads; ++i) {
      spenders.emplace_back([&] {
        start.arrive_and_wait();
        if (spend(*this->store_, token, at_ms(5'000))) ++winners;
      });
    }
    spenders.clear();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

// --- chat rooms ----------------------------------------------------------------------------

TYPED_TEST(StoreContractTest, CreatedRoomHasItsCreatorAsOnlyMember) {
  this->add_users({"alice", "bob"});
  model::room room = make_room("room-1", "Lobby", "alice", 1'234, "$argon2id$secret");
  room.member_count = 7;  // ignored, as are…
  room.closed = true;     // …these
  this->store_->create_room(room);

  const auto found = this->store_->find_room("room-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, "room-1");
  EXPECT_EQ(found->name, "Lobby");
  EXPECT_EQ(found->creator, "alice");
  EXPECT_EQ(found->password_hash, "$argon2id$secret");
  EXPECT_TRUE(found->is_private());
  EXPECT_EQ(found->created_at, at_ms(1'234));
  EXPECT_EQ(found->member_count, 1);
  EXPECT_FALSE(found->closed);
  EXPECT_TRUE(this->store_->is_member("room-1", "alice"));
  EXPECT_FALSE(this->store_->is_member("room-1", "bob"));
  EXPECT_EQ(ids_of(this->store_->list_member_rooms("alice", {})),
            std::vector<std::string>{"room-1"});
}

TYPED_TEST(StoreContractTest, UnknownRoomIsNotFound) {
  EXPECT_FALSE(this->store_->find_room("no-such-room"));
  EXPECT_FALSE(this->store_->is_member("no-such-room", "alice"));
}

TYPED_TEST(StoreContractTest, RoomOfUnknownCreatorIsAStoreErrorAndLeavesNothing) {
  EXPECT_THROW(this->store_->create_room(make_room("room-1", "Lobby", "nobody")), store_error);
  EXPECT_FALSE(this->store_->find_room("room-1"));
  EXPECT_EQ(this->store_->list_rooms("", {}).total, 0);
}

TYPED_TEST(StoreContractTest, ListRoomsIsNewestFirstWithTiesById) {
  this->add_users({"alice"});
  this->store_->create_room(make_room("b", "second at 200", "alice", 200));
  this->store_->create_room(make_room("d", "oldest", "alice", 100));
  this->store_->create_room(make_room("c", "third at 200", "alice", 200));
  this->store_->create_room(make_room("a", "first at 200", "alice", 200));
  this->store_->create_room(make_room("e", "newest", "alice", 300));

  const room_page page = this->store_->list_rooms("", {0, 20});
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{"e", "a", "b", "c", "d"}));
  EXPECT_EQ(page.total, 5);
}

TYPED_TEST(StoreContractTest, ListRoomsPagesWithoutOverlapAndCountsAll) {
  this->add_users({"alice"});
  // Seven rooms with one creation time: only the id tie-break keeps pages apart.
  for (int i = 0; i < 7; ++i) {
    this->store_->create_room(make_room("room-" + std::to_string(i), "room", "alice", 500));
  }
  std::vector<std::string> seen;
  const std::vector<std::size_t> expected_sizes{3, 3, 1, 0};
  for (std::int64_t page = 0; page < 4; ++page) {
    const room_page result = this->store_->list_rooms("", {page, 3});
    EXPECT_EQ(result.total, 7);
    EXPECT_EQ(result.rooms.size(), expected_sizes[page]) << "page " << page;
    for (const auto& room : result.rooms) seen.push_back(room.id);
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  EXPECT_EQ(seen.size(), 7u);
}

TYPED_TEST(StoreContractTest, ListRoomsOutOfRangePagesAreEmpty) {
  this->add_users({"alice"});
  this->store_->create_room(make_room("room-1", "room", "alice"));
  const std::int64_t huge = std::numeric_limits<std::int64_t>::max();
  for (const page_request page : {page_request{0, 0}, page_request{-1, 20}, page_request{0, -5},
                                  page_request{huge, 100}, page_request{huge / 2, 3}}) {
    const room_page result = this->store_->list_rooms("", page);
    EXPECT_TRUE(result.rooms.empty()) << page.page << " x " << page.size;
    EXPECT_EQ(result.total, 1);
  }
}

TYPED_TEST(StoreContractTest, ListRoomsFiltersBySubstringIgnoringAsciiCase) {
  this->add_users({"alice"});
  this->store_->create_room(make_room("1", "Alpha Chat", "alice", 1));
  this->store_->create_room(make_room("2", "ALPHABET soup", "alice", 2));
  this->store_->create_room(make_room("3", "beta", "alice", 3));
  this->store_->create_room(make_room("4", "100% done", "alice", 4));
  this->store_->create_room(make_room("5", "snake_case", "alice", 5));
  this->store_->create_room(make_room("6", "back\\slash", "alice", 6));
  this->store_->create_room(make_room("7", "Äpfel", "alice", 7));

  const auto matches = [&](std::string_view filter) {
    return ids_of(this->store_->list_rooms(filter, {0, 20}));
  };
  EXPECT_EQ(matches("alp"), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(matches("aLpHa c"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(matches("BETA"), (std::vector<std::string>{"3"}));  // "ALPHABET" has no "beta"…
  EXPECT_EQ(this->store_->list_rooms("bet", {0, 20}).total, 2);        // …but has "bet"
  // LIKE's wildcards and escape characters are ordinary characters here.
  EXPECT_EQ(matches("%"), (std::vector<std::string>{"4"}));
  EXPECT_EQ(matches("_"), (std::vector<std::string>{"5"}));
  EXPECT_EQ(matches("\\"), (std::vector<std::string>{"6"}));
  EXPECT_EQ(matches("e_c"), (std::vector<std::string>{"5"}));
  EXPECT_TRUE(matches("a%b").empty());
  EXPECT_EQ(matches("Äpfel"), (std::vector<std::string>{"7"}));
  // Only ASCII letters fold, whatever the database's locale.
  EXPECT_TRUE(matches("äpfel").empty());
  EXPECT_TRUE(matches("no such room").empty());
  EXPECT_EQ(this->store_->list_rooms("no such room", {0, 20}).total, 0);
  EXPECT_EQ(this->store_->list_rooms("", {0, 20}).total, 7);
}

TYPED_TEST(StoreContractTest, ListMemberRoomsShowsOnlyTheMembersRoomsNewestFirst) {
  this->add_users({"alice", "bob"});
  this->store_->create_room(make_room("old", "old", "alice", 100));
  this->store_->create_room(make_room("bobs", "bob's", "bob", 200));
  this->store_->create_room(make_room("new", "new", "alice", 300));
  ASSERT_EQ(this->store_->add_member("bobs", "alice"), join_outcome::joined);
  ASSERT_EQ(this->store_->add_member("old", "bob"), join_outcome::joined);

  room_page alices = this->store_->list_member_rooms("alice", {0, 20});
  EXPECT_EQ(ids_of(alices), (std::vector<std::string>{"new", "bobs", "old"}));
  EXPECT_EQ(alices.total, 3);

  room_page second_page = this->store_->list_member_rooms("alice", {1, 2});
  EXPECT_EQ(ids_of(second_page), (std::vector<std::string>{"old"}));
  EXPECT_EQ(second_page.total, 3);

  room_page bobs = this->store_->list_member_rooms("bob", {0, 20});
  EXPECT_EQ(ids_of(bobs), (std::vector<std::string>{"bobs", "old"}));
  EXPECT_EQ(bobs.rooms[1].member_count, 2);

  EXPECT_EQ(this->store_->list_member_rooms("nobody", {0, 20}).total, 0);
  EXPECT_TRUE(this->store_->list_member_rooms("nobody", {0, 20}).rooms.empty());
}

TYPED_TEST(StoreContractTest, AddMemberOutcomes) {
  this->add_users({"alice", "bob", "carol"});
  this->store_->create_room(make_room("room-1", "room", "alice"));

  EXPECT_EQ(this->store_->add_member("room-1", "bob"), join_outcome::joined);
  EXPECT_TRUE(this->store_->is_member("room-1", "bob"));
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, 2);

  EXPECT_EQ(this->store_->add_member("room-1", "bob"), join_outcome::already_member);
  EXPECT_EQ(this->store_->add_member("room-1", "alice"), join_outcome::already_member);
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, 2);

  EXPECT_EQ(this->store_->add_member("no-such-room", "bob"), join_outcome::room_not_found);

  ASSERT_EQ(this->store_->remove_member("room-1", "alice"), exit_outcome::exited_and_closed);
  EXPECT_EQ(this->store_->add_member("room-1", "carol"), join_outcome::room_closed);
  EXPECT_FALSE(this->store_->is_member("room-1", "carol"));
  // Closed comes before already-member, as in the REST contract's order of errors.
  EXPECT_EQ(this->store_->add_member("room-1", "bob"), join_outcome::room_closed);
}

TYPED_TEST(StoreContractTest, RemoveMemberOutcomes) {
  this->add_users({"alice", "bob", "carol"});
  this->store_->create_room(make_room("room-1", "room", "alice"));
  ASSERT_EQ(this->store_->add_member("room-1", "bob"), join_outcome::joined);
  ASSERT_EQ(this->store_->add_member("room-1", "carol"), join_outcome::joined);

  EXPECT_EQ(this->store_->remove_member("no-such-room", "bob"), exit_outcome::room_not_found);
  EXPECT_EQ(this->store_->remove_member("room-1", "nobody"), exit_outcome::not_member);

  EXPECT_EQ(this->store_->remove_member("room-1", "bob"), exit_outcome::exited);
  EXPECT_FALSE(this->store_->is_member("room-1", "bob"));
  EXPECT_EQ(this->store_->remove_member("room-1", "bob"), exit_outcome::not_member);
  auto room = this->store_->find_room("room-1");
  EXPECT_EQ(room->member_count, 2);
  EXPECT_FALSE(room->closed);

  EXPECT_EQ(this->store_->remove_member("room-1", "alice"), exit_outcome::exited_and_closed);
  room = this->store_->find_room("room-1");
  EXPECT_TRUE(room->closed);
  EXPECT_EQ(room->member_count, 1);
  EXPECT_FALSE(this->store_->is_member("room-1", "alice"));
  EXPECT_EQ(this->store_->add_member("room-1", "alice"), join_outcome::room_closed);
  EXPECT_EQ(this->store_->add_member("room-1", "bob"), join_outcome::room_closed);

  // The members left behind may still leave the closed room.
  EXPECT_EQ(this->store_->remove_member("room-1", "carol"), exit_outcome::exited);
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, 0);
  EXPECT_EQ(this->store_->remove_member("room-1", "alice"), exit_outcome::not_member);
}

TYPED_TEST(StoreContractTest, ConcurrentJoinsKeepMemberCountExact) {
  constexpr int threads = 8;
  this->add_users({"creator"});
  for (int i = 0; i < threads; ++i) {
    ASSERT_TRUE(this->store_->create_user(make_user("user-" + std::to_string(i))));
  }
  this->store_->create_room(make_room("room-1", "room", "creator"));

  std::latch start{threads};
  std::atomic<int> joined{0};
  std::vector<std::jthread> joiners;
  for (int i = 0; i < threads; ++i) {
    joiners.emplace_back([&, i] {
      start.arrive_and_wait();
      const std::string user = "user-" + std::to_string(i);
      if (this->store_->add_member("room-1", user) == join_outcome::joined) ++joined;
      // A second try from the same user changes nothing.
      if (this->store_->add_member("room-1", user) == join_outcome::joined) ++joined;
    });
  }
  joiners.clear();

  EXPECT_EQ(joined.load(), threads);
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, threads + 1);
  EXPECT_EQ(this->store_->list_rooms("", {}).rooms.at(0).member_count, threads + 1);
}

TYPED_TEST(StoreContractTest, ConcurrentJoinsAndExitsKeepMemberCountExact) {
  constexpr int threads = 8;
  this->add_users({"creator"});
  for (int i = 0; i < threads; ++i) {
    ASSERT_TRUE(this->store_->create_user(make_user("user-" + std::to_string(i))));
  }
  this->store_->create_room(make_room("room-1", "room", "creator"));

  std::latch start{threads};
  std::vector<std::jthread> members;
  for (int i = 0; i < threads; ++i) {
    members.emplace_back([&, i] {
      start.arrive_and_wait();
      const std::string user = "user-" + std::to_string(i);
      for (int round = 0; round < 10; ++round) {
        EXPECT_EQ(this->store_->add_member("room-1", user), join_outcome::joined);
        EXPECT_TRUE(this->store_->is_member("room-1", user));
        EXPECT_EQ(this->store_->remove_member("room-1", user), exit_outcome::exited);
      }
      // Odd users stay.
      if (i % 2 == 1) {
        EXPECT_EQ(this->store_->add_member("room-1", user), join_outcome::joined);
      }
    });
  }
  members.clear();
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, 1 + threads / 2);
  EXPECT_EQ(this->store_->list_member_rooms("user-1", {}).total, 1);
  EXPECT_EQ(this->store_->list_member_rooms("user-0", {}).total, 0);
}

// --- messages ------------------------------------------------------------------------------

TYPED_TEST(StoreContractTest, AppendedMessagesReadBackWhole) {
  model::message message = make_message("session-1", 1);
  message.sender = "tenant's viewer";
  message.contents = "héllo 👋 \"quoted\" 'single'";
  message.nickname = "Viewer One";
  message.profile_img_url = "https://example.com/a.png";
  message.sent_at = at_ms(1'715'382'660'123);
  // No room row: a live-stream session's messages are kept all the same.
  this->store_->append_messages(std::vector{message});

  const auto read = this->store_->messages_after("session-1", 0, 10);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].room_id, "session-1");
  EXPECT_EQ(read[0].id, 1);
  EXPECT_EQ(read[0].sender, message.sender);
  EXPECT_EQ(read[0].contents, message.contents);
  EXPECT_EQ(read[0].sent_at, message.sent_at);
  EXPECT_EQ(read[0].nickname, message.nickname);
  EXPECT_EQ(read[0].profile_img_url, message.profile_img_url);
}

TYPED_TEST(StoreContractTest, AppendSkipsMessagesAlreadyStored) {
  this->store_->append_messages(std::vector{make_message("room-1", 1), make_message("room-1", 2)});

  model::message retried = make_message("room-1", 2);
  retried.contents = "a different body";
  this->store_->append_messages(std::vector{retried, make_message("room-1", 3)});

  const auto read = this->store_->messages_after("room-1", 0, 10);
  EXPECT_EQ(ids_of(read), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(read[1].contents, "message 2");
}

// The saver's case: batches of several rooms, out of order, below ids already stored, with
// ids of an earlier batch among them (a batch read again after a crash before its ack).
TYPED_TEST(StoreContractTest, AppendTakesIdsInAnyOrderAcrossRooms) {
  this->store_->append_messages(std::vector{make_message("room-1", 5), make_message("room-1", 6)});
  this->store_->append_messages(std::vector{make_message("room-1", 2), make_message("room-2", 1),
                                            make_message("room-1", 6), make_message("room-1", 1)});

  EXPECT_EQ(ids_of(this->store_->messages_after("room-1", 0, 10)),
            (std::vector<std::int64_t>{1, 2, 5, 6}));
  EXPECT_EQ(ids_of(this->store_->messages_after("room-2", 0, 10)), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(this->store_->last_message_id("room-1"), 6);
}

TYPED_TEST(StoreContractTest, AppendOfNothingIsHarmless) {
  this->store_->append_messages({});
  EXPECT_EQ(this->store_->last_message_id("room-1"), 0);
}

TYPED_TEST(StoreContractTest, LastMessageIdIsPerRoom) {
  EXPECT_EQ(this->store_->last_message_id("room-1"), 0);
  std::vector<model::message> batch;
  for (int id = 1; id <= 12; ++id) batch.push_back(make_message("room-1", id));
  batch.push_back(make_message("room-2", 1));
  this->store_->append_messages(batch);
  EXPECT_EQ(this->store_->last_message_id("room-1"), 12);
  EXPECT_EQ(this->store_->last_message_id("room-2"), 1);
  EXPECT_EQ(this->store_->last_message_id("room-3"), 0);
}

TYPED_TEST(StoreContractTest, MessagesAfterAndBeforeAreAscendingAndLimited) {
  std::vector<model::message> batch;
  for (int id = 1; id <= 10; ++id) batch.push_back(make_message("room-1", id));
  for (int id = 1; id <= 3; ++id) batch.push_back(make_message("room-2", id));
  this->store_->append_messages(batch);
  using ids = std::vector<std::int64_t>;

  EXPECT_EQ(ids_of(this->store_->messages_after("room-1", 3, 4)), (ids{4, 5, 6, 7}));
  EXPECT_EQ(ids_of(this->store_->messages_after("room-1", 8, 100)), (ids{9, 10}));
  EXPECT_EQ(ids_of(this->store_->messages_after("room-1", 10, 100)), ids{});
  EXPECT_EQ(ids_of(this->store_->messages_after("room-2", 0, 100)), (ids{1, 2, 3}));

  const std::int64_t latest = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(ids_of(this->store_->messages_before("room-1", latest, 3)), (ids{8, 9, 10}));
  EXPECT_EQ(ids_of(this->store_->messages_before("room-1", 5, 2)), (ids{3, 4}));
  EXPECT_EQ(ids_of(this->store_->messages_before("room-1", 5, 100)), (ids{1, 2, 3, 4}));
  EXPECT_EQ(ids_of(this->store_->messages_before("room-1", 1, 100)), ids{});

  // A limit of zero or less is an empty answer, not SQLite's "no limit".
  EXPECT_TRUE(this->store_->messages_after("room-1", 0, 0).empty());
  EXPECT_TRUE(this->store_->messages_after("room-1", 0, -1).empty());
  EXPECT_TRUE(this->store_->messages_before("room-1", latest, -1).empty());
  EXPECT_TRUE(this->store_->messages_after("no-such-room", 0, 10).empty());
}

TYPED_TEST(StoreContractTest, ConcurrentWritersAndReadersNeverFail) {
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
        this->store_->append_messages(std::vector{make_message(room, first), make_message(room, first + 1)});
        EXPECT_EQ(this->store_->last_message_id(room), first + 1);
        EXPECT_EQ(this->store_->messages_before(room, std::numeric_limits<std::int64_t>::max(), 2).size(), 2u);
        EXPECT_TRUE(this->store_->healthy());
      }
    });
  }
  workers.clear();
  for (int i = 0; i < threads; ++i) {
    EXPECT_EQ(this->store_->messages_after("room-" + std::to_string(i), 0, 1000).size(), 2u * batches);
  }
}

// --- operations ----------------------------------------------------------------------------

TYPED_TEST(StoreContractTest, IsHealthy) { EXPECT_TRUE(this->store_->healthy()); }

TYPED_TEST(StoreContractTest, DataSurvivesReopening) {
  this->add_users({"alice"});
  this->store_->save_refresh_token("token-1", "alice", at_ms(10'000));
  this->store_->save_refresh_token("token-2", "alice", at_ms(10'000));
  ASSERT_TRUE(spend(*this->store_, "token-1", at_ms(0)));
  this->store_->create_room(make_room("room-1", "Lobby", "alice"));
  this->store_->append_messages(std::vector{make_message("room-1", 1), make_message("room-1", 2)});

  this->store_.reset();
  this->store_ = this->backend_.open(2);

  EXPECT_TRUE(this->store_->find_user("alice"));
  EXPECT_FALSE(spend(*this->store_, "token-1", at_ms(0)));
  EXPECT_TRUE(spend(*this->store_, "token-2", at_ms(0)));
  ASSERT_TRUE(this->store_->find_room("room-1"));
  EXPECT_EQ(this->store_->find_room("room-1")->member_count, 1);
  EXPECT_TRUE(this->store_->is_member("room-1", "alice"));
  EXPECT_EQ(this->store_->last_message_id("room-1"), 2);
}

TYPED_TEST(StoreContractTest, TwoInstancesOnOneDatabaseSpendATokenOnce) {
  // As two processes (or nodes) would: separate pools, meeting only in the database's locks.
  const std::unique_ptr<store> other = this->backend_.open(2);
  this->add_users({"alice"});
  constexpr int threads = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string token = "token-" + std::to_string(round);
    this->store_->save_refresh_token(token, "alice", at_ms(10'000));
    std::latch start{threads};
    std::atomic<int> winners{0};
    std::vector<std::jthread> spenders;
    for (int i = 0; i < threads; ++i) {
      spenders.emplace_back([&, i] {
        store& mine = i % 2 == 0 ? *this->store_ : *other;
        start.arrive_and_wait();
        if (spend(mine, token, at_ms(5'000))) ++winners;
      });
    }
    spenders.clear();
    EXPECT_EQ(winners.load(), 1) << "round " << round;
  }
}

// A join racing the room's close either comes first (and counts as a member the close leaves
// behind) or sees the room closed; a join that starts after the close returned never succeeds.
TYPED_TEST(StoreContractTest, JoinsRacingTheCloseNeverJoinAClosedRoom) {
  constexpr int joiners = 8;
  this->add_users({"creator"});
  for (int i = 0; i < joiners; ++i) {
    ASSERT_TRUE(this->store_->create_user(make_user("user-" + std::to_string(i))));
  }
  for (int round = 0; round < 5; ++round) {
    const std::string room = "room-" + std::to_string(round);
    this->store_->create_room(make_room(room, "room", "creator"));
    std::latch start{joiners + 1};
    std::atomic<bool> closed{false};
    std::atomic<int> joined{0};
    std::vector<std::jthread> threads;
    for (int i = 0; i < joiners; ++i) {
      threads.emplace_back([&, i] {
        const std::string user = "user-" + std::to_string(i);
        start.arrive_and_wait();
        const bool after_close = closed.load();
        const join_outcome outcome = this->store_->add_member(room, user);
        if (outcome == join_outcome::joined) {
          ++joined;
          EXPECT_FALSE(after_close) << user << " joined a room already closed";
        } else {
          EXPECT_EQ(outcome, join_outcome::room_closed) << user;
          EXPECT_FALSE(this->store_->is_member(room, user)) << user;
        }
      });
    }
    threads.emplace_back([&] {
      start.arrive_and_wait();
      EXPECT_EQ(this->store_->remove_member(room, "creator"), exit_outcome::exited_and_closed);
      closed = true;
    });
    threads.clear();
    const auto found = this->store_->find_room(room);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->closed);
    EXPECT_EQ(found->member_count, joined.load()) << "round " << round;
  }
}

// Not a benchmark with a verdict: prints what one commit of a message, and of a batch of 50,
// costs on each store, for docs/cluster.md. It asserts only that everything was kept.
TYPED_TEST(StoreContractTest, ReportsWhatACommitCosts) {
  using clock = std::chrono::steady_clock;
  constexpr int singles = 200;
  constexpr int batches = 20;
  constexpr int batch_size = 50;
  const auto start = clock::now();
  for (int id = 1; id <= singles; ++id) {
    this->store_->append_messages(std::vector{make_message("singles", id)});
  }
  const auto singles_done = clock::now();
  for (int batch = 0; batch < batches; ++batch) {
    std::vector<model::message> messages;
    for (int i = 1; i <= batch_size; ++i) {
      messages.push_back(make_message("batches", batch * batch_size + i));
    }
    this->store_->append_messages(messages);
  }
  const auto batches_done = clock::now();
  EXPECT_EQ(this->store_->last_message_id("singles"), singles);
  EXPECT_EQ(this->store_->last_message_id("batches"), batches * batch_size);

  const auto micros = [](clock::duration elapsed) {
    return std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  };
  std::cout << "[ commit   ] " << TypeParam::name
            << ": one message " << micros(singles_done - start) / singles << " us, a batch of "
            << batch_size << " " << micros(batches_done - singles_done) / batches << " us\n";
}

}  // namespace
}  // namespace livechat::store
