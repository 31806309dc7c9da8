#include "fanout/room_subscription.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/memory_broker.hpp"
#include "fanout_test_support.hpp"

namespace livechat::fanout {
namespace {

namespace asio = boost::asio;
using livechat::testing::failing_broker;
using livechat::testing::failing_store;
using livechat::testing::id_range;
using livechat::testing::ids_of;
using livechat::testing::make_messages;
using livechat::testing::temp_database;

constexpr const char* room = "room";
constexpr std::size_t worker_count = 2;

// A subscriber that records what it was given to send, in order, and when its connection was
// flushed. It can be told to refuse, as a full output queue does.
class recording_subscription final : public room_subscription {
 public:
  enum class kind { batch, messages, closed, left };
  struct sent {
    kind what;
    std::vector<std::int64_t> ids;
    bool closes_room = false;
  };

  using room_subscription::room_subscription;

  // Every message id sent, in order.
  std::vector<std::int64_t> ids() const {
    std::vector<std::int64_t> all;
    for (const auto& each : sends) all.insert(all.end(), each.ids.begin(), each.ids.end());
    return all;
  }
  bool sent_closed() const {
    for (const auto& each : sends) {
      if (each.what == kind::closed || each.closes_room) return true;
    }
    return false;
  }
  // Sends queued since the connection's last flush (they would sit unwritten).
  std::size_t unflushed() const { return sends.size() - sink_.flushed_up_to; }
  int flushes() const { return sink_.flushes; }

  // Puts `bytes` into the connection's queue, as if not yet written.
  void fill(std::size_t bytes) { ASSERT_TRUE(queue->push_owned(std::string(bytes, 'x'))); }
  // The connection writes all it has queued.
  void drain() {
    if (!queue->has_queued()) return;
    (void)queue->start_write();
    queue->finish_write();
  }

  std::vector<sent> sends;
  bool refuse = false;
  std::optional<net::output_queue> queue{std::in_place, 1024 * 1024};  // the connection's
  int too_slow_calls = 0;

 private:
  class recording_sink final : public delivery_sink {
   public:
    explicit recording_sink(const std::vector<sent>& sends) : sends_(sends) {}
    void shut_down() override {}
    void flush_deliveries() override {
      ++flushes;
      flushed_up_to = sends_.size();
    }
    int flushes = 0;
    std::size_t flushed_up_to = 0;

   private:
    const std::vector<sent>& sends_;
  };

  bool send_batch(const std::shared_ptr<const batch>& whole) override {
    if (refuse) return false;
    sends.push_back(sent{kind::batch, ids_of(whole->messages), whole->closes_room});
    return true;
  }
  bool send_messages(std::span<const model::message> messages) override {
    if (refuse) return false;
    EXPECT_FALSE(messages.empty());
    sends.push_back(sent{kind::messages, ids_of(messages)});
    return true;
  }
  bool send_closed() override {
    if (refuse) return false;
    sends.push_back(sent{kind::closed, {}});
    return true;
  }
  bool send_left() override {
    if (refuse) return false;
    sends.push_back(sent{kind::left, {}});
    return true;
  }
  delivery_sink& sink() override { return sink_; }
  net::output_queue& output() override { return *queue; }
  void on_too_slow() override {
    EXPECT_TRUE(stopped());
    ++too_slow_calls;
  }

  recording_sink sink_{sends};
};

using kind = recording_subscription::kind;

// A node in miniature: a real io_context as the one I/O thread, a small thread pool as the
// workers, the hub delivering through that thread's fan-out, and a memory broker on SQLite.
class RoomSubscriptionTest : public ::testing::Test {
 protected:
  RoomSubscriptionTest() { fanouts_.push_back(std::make_unique<thread_fanout>(0)); }

  ~RoomSubscriptionTest() override {
    broker_.stop();
    workers_.join();
  }

  std::shared_ptr<recording_subscription> subscribe(std::optional<std::int64_t> after_id) {
    auto made = std::make_shared<recording_subscription>(services_, room, after_id);
    made->start(0, io_.get_executor());
    return made;
  }

  // Publishes messages `count` times through the broker, and waits until all are kept.
  void publish(int count) {
    std::mutex mutex;
    std::condition_variable done;
    int acknowledged = 0;
    for (int i = 0; i < count; ++i) {
      model::message message;
      message.room_id = room;
      message.sender = "alice";
      message.contents = "hello " + std::to_string(i);
      broker_.publish({message}, [&](broker::publish_status status, std::span<const model::message>) {
        EXPECT_EQ(status, broker::publish_status::kept);
        std::scoped_lock lock{mutex};
        ++acknowledged;
        done.notify_all();
      });
    }
    std::unique_lock lock{mutex};
    ASSERT_TRUE(
        done.wait_for(lock, std::chrono::minutes(1), [&] { return acknowledged == count; }));
  }

  // Closes the room through the broker and waits until the hub knows.
  void close_room() {
    broker_.close(room);
    std::promise<void> past_close;
    broker_.publish({}, [&](broker::publish_status, std::span<const model::message>) { past_close.set_value(); });
    past_close.get_future().wait();
  }

  // One delivery tick: the hub flushes, and the I/O thread runs what that posted.
  void tick() {
    hub_.flush();
    run_io();
  }

  void run_io() {
    io_.restart();
    io_.poll();
  }

  // Runs the I/O thread until `done` holds (or a minute has passed).
  void run_io_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(done());
  }

  // Occupies every worker until the returned promise is set: history reads queue behind.
  std::promise<void> block_workers() {
    std::promise<void> release;
    auto released = release.get_future().share();
    for (std::size_t i = 0; i < worker_count; ++i) {
      asio::post(workers_, [released] { released.wait(); });
    }
    return release;
  }

  // Returns once the workers have finished everything posted to them before.
  void drain_workers() {
    auto all_in = std::make_shared<std::latch>(worker_count);
    std::promise<void> drained;
    auto drained_future = drained.get_future();
    auto remaining = std::make_shared<std::atomic<int>>(worker_count);
    for (std::size_t i = 0; i < worker_count; ++i) {
      // Each task waits for the others: all workers are in one at once, so none is still busy
      // with anything posted earlier.
      asio::post(workers_, [all_in, remaining, &drained] {
        all_in->arrive_and_wait();
        if (--*remaining == 0) drained.set_value();
      });
    }
    drained_future.wait();
  }

  // Failure injection (issue 11): for n = 1, 2, … the n-th call that `calls` counts (a
  // failing_store or failing_broker) of a resume fails, until a resume runs its whole path
  // without reaching n. What the subscriber got is always the start of what it asked for,
  // without a gap or a repeat; a failure ends it as a too-slow subscriber (it resumes from its
  // last id), never silently.
  template <typename Calls>
  void fail_each_call_of_a_resume(Calls& calls) {
    publish(1234);  // the hub keeps 100: the rest is read from the store, in pages
    bool reached_the_end = false;
    for (long n = 1; n <= 20 && !reached_the_end; ++n) {
      const long before = calls.calls();
      calls.fail_call(n);
      const auto resumed = subscribe(100);
      run_io_until([&] { return resumed->stopped() || resumed->ids().size() == 1134; });
      drain_workers();
      run_io();
      reached_the_end = calls.calls() - before < n;
      calls.fail_call(0);
      const auto ids = resumed->ids();
      EXPECT_EQ(ids, id_range(101, 100 + static_cast<std::int64_t>(ids.size()))) << "n = " << n;
      if (reached_the_end) {
        EXPECT_EQ(ids.size(), 1134u);
        EXPECT_EQ(resumed->too_slow_calls, 0);
      } else {
        EXPECT_TRUE(resumed->stopped()) << "n = " << n;
        EXPECT_EQ(resumed->too_slow_calls, 1) << "n = " << n;
      }
      resumed->stop();
      run_io();
    }
    EXPECT_TRUE(reached_the_end);
    EXPECT_EQ(listeners_here(), 0u);
  }

  std::size_t listeners_here() const { return fanouts_[0]->listener_count(); }

  temp_database database_;
  store::sqlite_store sqlite_{database_.path()};
  failing_store store_{sqlite_};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> io_work_{io_.get_executor()};
  std::vector<std::unique_ptr<thread_fanout>> fanouts_;
  room_hub hub_{1, 100, [this](std::size_t thread_index, batch_list batches) {
                  asio::post(io_, [this, thread_index, batches = std::move(batches)] {
                    fanouts_[thread_index]->deliver(batches);
                  });
                }};
  broker::memory_broker broker_{store_, hub_};
  failing_broker broker_calls_{broker_};  // what the subscriptions see
  asio::thread_pool workers_{worker_count};
  delivery_services services_{hub_, fanouts_, broker_calls_, workers_, 1024 * 1024};
};

TEST_F(RoomSubscriptionTest, LiveOnlyGetsWhatComesAfterIt) {
  const auto early = subscribe(std::nullopt);  // keeps the room in the hub's memory
  publish(3);
  const auto late = subscribe(std::nullopt);  // 1..3 are kept but not yet flushed
  tick();
  EXPECT_EQ(early->ids(), id_range(1, 3));
  EXPECT_TRUE(late->sends.empty());  // what came before it is not its to get

  publish(2);
  tick();
  EXPECT_EQ(early->ids(), id_range(1, 5));
  ASSERT_EQ(late->sends.size(), 1u);
  EXPECT_EQ(late->sends[0].what, kind::batch);  // the shared bytes, as they are
  EXPECT_EQ(late->sends[0].ids, id_range(4, 5));
  EXPECT_EQ(late->unflushed(), 0u);
}

TEST_F(RoomSubscriptionTest, LiveOnlyOnARoomThisNodeHasNotSeenTakesTheFirstBatchWhole) {
  publish(7);  // nobody listened: the hub forgot them
  const auto live = subscribe(std::nullopt);
  EXPECT_TRUE(live->sends.empty());
  publish(2);
  tick();
  EXPECT_EQ(live->ids(), id_range(8, 9));
  publish(1);
  tick();
  EXPECT_EQ(live->ids(), id_range(8, 10));
}

TEST_F(RoomSubscriptionTest, ReplaysFromMemoryThenGoesLive) {
  const auto keeper = subscribe(std::nullopt);
  publish(10);
  tick();

  const auto resumed = subscribe(4);
  // Memory had it all: replayed at once, without a worker.
  ASSERT_EQ(resumed->sends.size(), 1u);
  EXPECT_EQ(resumed->sends[0].what, kind::messages);
  EXPECT_EQ(resumed->sends[0].ids, id_range(5, 10));
  EXPECT_EQ(resumed->unflushed(), 0u);

  publish(1);
  tick();
  EXPECT_EQ(resumed->ids(), id_range(5, 11));
  EXPECT_EQ(resumed->sends.back().what, kind::batch);

  const auto up_to_date = subscribe(11);
  EXPECT_TRUE(up_to_date->sends.empty());
  publish(1);
  tick();
  EXPECT_EQ(up_to_date->ids(), std::vector<std::int64_t>{12});
}

TEST_F(RoomSubscriptionTest, ReplaysFromTheStoreInPages) {
  publish(1234);  // nobody listened: only the store has them
  const auto resumed = subscribe(100);
  run_io_until([&] { return resumed->ids().size() == 1134; });
  EXPECT_EQ(resumed->ids(), id_range(101, 1234));
  // Pages of 64 from the store, queued in chunks of at most 32, each page written as it comes.
  for (const auto& each : resumed->sends) EXPECT_LE(each.ids.size(), 32u);
  EXPECT_GE(resumed->flushes(), 3);
  EXPECT_EQ(resumed->unflushed(), 0u);

  publish(1);
  tick();
  EXPECT_EQ(resumed->ids(), id_range(101, 1235));
  EXPECT_EQ(resumed->sends.back().what, kind::batch);
}

TEST_F(RoomSubscriptionTest, ReplayOfExactlyOnePageAsksForTheNext) {
  publish(64);
  const auto resumed = subscribe(0);
  run_io_until([&] { return resumed->ids().size() == 64; });
  drain_workers();
  run_io();  // the empty second page
  EXPECT_EQ(resumed->ids(), id_range(1, 64));
  publish(1);
  tick();
  EXPECT_EQ(resumed->ids(), id_range(1, 65));
}

TEST_F(RoomSubscriptionTest, LiveBatchesDuringAReplayAreHeldAndDeduplicated) {
  publish(600);
  auto release = block_workers();
  const auto resumed = subscribe(0);  // its history read waits behind the blocked workers
  publish(10);                        // 601..610: kept in the store and pending in the hub
  tick();
  EXPECT_TRUE(resumed->sends.empty());  // held, not sent before the replay
  publish(5);
  tick();

  release.set_value();
  run_io_until([&] { return resumed->ids().size() >= 615; });
  drain_workers();
  run_io();
  EXPECT_EQ(resumed->ids(), id_range(1, 615));  // the store had them all: held batches add none
  EXPECT_EQ(resumed->unflushed(), 0u);

  publish(1);
  tick();
  EXPECT_EQ(resumed->ids(), id_range(1, 616));
}

// A history read that missed the newest messages (it ran before their commit was visible)
// while a held batch has both older and newer ones: only the newer part is sent.
TEST_F(RoomSubscriptionTest, HeldBatchOverlappingTheReplayIsTrimmed) {
  sqlite_.append_messages(make_messages(room, 1, 50));  // less than a page
  auto release = block_workers();
  const auto resumed = subscribe(0);
  sqlite_.append_messages(make_messages(room, 51, 55));
  const auto newer = make_messages(room, 51, 60);
  hub_.append(room, newer);
  tick();  // 51..60 held
  release.set_value();
  drain_workers();  // the read saw 1..55
  sqlite_.append_messages(make_messages(room, 56, 60));
  run_io_until([&] { return resumed->ids().size() >= 60; });

  EXPECT_EQ(resumed->ids(), id_range(1, 60));
  // The replay (1..55, in chunks), then the held batch trimmed to what the replay lacked.
  ASSERT_GE(resumed->sends.size(), 2u);
  EXPECT_EQ(resumed->sends.back().what, kind::messages);
  EXPECT_EQ(resumed->sends.back().ids, id_range(56, 60));
  EXPECT_EQ(resumed->unflushed(), 0u);
}

TEST_F(RoomSubscriptionTest, RawMessagesInAHeldBatchTheReplayOverlapsAreAllDelivered) {
  // Raw Chat Sync messages (no id, SPEC 6) are never replayed: whatever part of their batch the
  // replay covered, they are new to the subscriber.
  sqlite_.append_messages(make_messages(room, 1, 50));
  auto release = block_workers();
  const auto resumed = subscribe(0);
  sqlite_.append_messages(make_messages(room, 51, 55));
  model::message raw = livechat::testing::make_message(room, -1);
  std::vector<model::message> newer = {raw};
  for (auto& message : make_messages(room, 51, 60)) {
    newer.push_back(std::move(message));
    raw.id -= 1;
    newer.push_back(raw);
  }
  hub_.append(room, newer);
  tick();  // raw, 51, raw, 52 … 60, raw: held
  release.set_value();
  drain_workers();  // the read saw 1..55
  sqlite_.append_messages(make_messages(room, 56, 60));
  run_io_until([&] { return resumed->ids().size() >= 71; });

  std::vector<std::int64_t> expected = id_range(1, 55);
  for (std::int64_t raw_id = -1; raw_id >= -6; --raw_id) expected.push_back(raw_id);
  for (std::int64_t id = 56; id <= 60; ++id) expected.insert(expected.end(), {id, -id + 49});
  EXPECT_EQ(resumed->ids(), expected);
}

TEST_F(RoomSubscriptionTest, ReplayWaitsWhileTheConnectionsQueueIsFull) {
  publish(200);  // nobody listened: only the store has them
  auto resumed = std::make_shared<recording_subscription>(services_, room, 0);
  resumed->fill(512 * 1024);  // the connection has not written this yet: over the replay's share
  resumed->start(0, io_.get_executor());
  drain_workers();
  run_io();
  EXPECT_TRUE(resumed->sends.empty());  // nothing queued on top of a full queue…
  EXPECT_EQ(resumed->too_slow_calls, 0);  // …and catching up is not falling behind

  resumed->drain();
  resumed->on_output_drained();
  run_io_until([&] { return resumed->ids().size() == 200; });
  EXPECT_EQ(resumed->ids(), id_range(1, 200));
  EXPECT_EQ(resumed->too_slow_calls, 0);
}

// SPEC 8: what a replaying subscriber holds counts against its output bound: the page being
// replayed and the live batches held meanwhile are pinned, and given back once queued.
TEST_F(RoomSubscriptionTest, WhatAReplayHoldsIsPinnedAgainstTheOutputLimit) {
  publish(10);
  auto release = block_workers();
  const auto resumed = subscribe(0);  // its history read waits behind the blocked workers
  publish(5);
  tick();
  EXPECT_TRUE(resumed->sends.empty());
  EXPECT_GT(resumed->queue->pinned(), 0u);  // the held batch
  release.set_value();
  run_io_until([&] { return resumed->ids().size() >= 15; });
  EXPECT_EQ(resumed->ids(), id_range(1, 15));
  EXPECT_EQ(resumed->queue->pinned(), 0u);
  EXPECT_EQ(resumed->too_slow_calls, 0);
}

TEST_F(RoomSubscriptionTest, HeldBatchesPastTheOutputLimitMakeTheSubscriberTooSlow) {
  publish(10);
  auto release = block_workers();
  auto resumed = std::make_shared<recording_subscription>(services_, room, 0);
  resumed->queue.emplace(4096);
  resumed->start(0, io_.get_executor());
  // Each tick's batch is held; together they pass 4 KiB long before the replay can start.
  for (int round = 0; round < 100 && resumed->too_slow_calls == 0; ++round) {
    publish(1);
    tick();
  }
  EXPECT_EQ(resumed->too_slow_calls, 1);
  EXPECT_TRUE(resumed->stopped());
  EXPECT_EQ(resumed->queue->pinned(), 0u);  // given back when it stopped
  release.set_value();
  drain_workers();
  run_io();
  EXPECT_TRUE(resumed->sends.empty());
}

// A batch this thread never got the predecessor of: the missing ids come from hub memory.
TEST_F(RoomSubscriptionTest, GapIsFilledFromHubMemory) {
  const auto live = subscribe(std::nullopt);
  publish(3);
  tick();
  publish(3);  // 4..6 in the hub's memory, not yet flushed
  fanouts_[0]->deliver({make_batch(room, make_messages(room, 6, 6), false)});

  EXPECT_EQ(live->ids(), id_range(1, 6));
  ASSERT_EQ(live->sends.size(), 3u);
  EXPECT_EQ(live->sends[1].what, kind::messages);
  EXPECT_EQ(live->sends[1].ids, id_range(4, 5));
  EXPECT_EQ(live->sends[2].what, kind::batch);
  EXPECT_EQ(live->unflushed(), 0u);

  tick();  // the tick's 4..6 are already there
  EXPECT_EQ(live->ids(), id_range(1, 6));
}

TEST_F(RoomSubscriptionTest, GapBeyondMemoryGivesUp) {
  const auto live = subscribe(std::nullopt);
  publish(1);
  tick();
  publish(200);  // the hub keeps the last 100
  fanouts_[0]->deliver({make_batch(room, make_messages(room, 201, 201), false)});
  EXPECT_EQ(live->too_slow_calls, 1);
  EXPECT_TRUE(live->stopped());
  EXPECT_EQ(live->ids(), std::vector<std::int64_t>{1});
  EXPECT_EQ(listeners_here(), 0u);
}

TEST_F(RoomSubscriptionTest, GivesUpOnceWhenTheQueueRefuses) {
  const auto slow = subscribe(std::nullopt);
  const auto other = subscribe(std::nullopt);
  publish(1);
  tick();
  slow->refuse = true;
  publish(1);
  tick();
  EXPECT_EQ(slow->too_slow_calls, 1);
  EXPECT_TRUE(slow->stopped());
  EXPECT_EQ(listeners_here(), 1u);
  EXPECT_EQ(other->ids(), id_range(1, 2));  // delivered although the one before it left

  slow->refuse = false;
  publish(1);
  tick();
  EXPECT_EQ(slow->too_slow_calls, 1);
  EXPECT_EQ(slow->ids(), std::vector<std::int64_t>{1});  // nothing after giving up
  EXPECT_EQ(other->ids(), id_range(1, 3));
}

TEST_F(RoomSubscriptionTest, GivesUpWhenTheReplayIsRefused) {
  publish(20);
  auto subscription = std::make_shared<recording_subscription>(services_, room, 0);
  subscription->refuse = true;
  subscription->start(0, io_.get_executor());
  run_io_until([&] { return subscription->stopped(); });
  EXPECT_EQ(subscription->too_slow_calls, 1);
  EXPECT_TRUE(subscription->sends.empty());
  EXPECT_EQ(listeners_here(), 0u);
}

TEST_F(RoomSubscriptionTest, GivesUpWhenHistoryCannotBeRead) {
  publish(5);
  store_.fail_reads = true;
  const auto resumed = subscribe(0);
  run_io_until([&] { return resumed->stopped(); });
  EXPECT_EQ(resumed->too_slow_calls, 1);
  EXPECT_TRUE(resumed->sends.empty());
}

TEST_F(RoomSubscriptionTest, ResumeWithTheNthStoreCallFailingNeverSkipsOrRepeats) {
  fail_each_call_of_a_resume(store_);
}

TEST_F(RoomSubscriptionTest, ResumeWithTheNthBrokerCallFailingNeverSkipsOrRepeats) {
  fail_each_call_of_a_resume(broker_calls_);
}

TEST_F(RoomSubscriptionTest, GivesUpWhenTooManyBatchesArriveDuringTheReplay) {
  auto release = block_workers();
  const auto resumed = subscribe(0);
  for (std::int64_t id = 1; id <= 4097; ++id) {
    const auto message = make_messages(room, id, id);
    hub_.append(room, message);
    hub_.flush();
  }
  run_io();
  EXPECT_EQ(resumed->too_slow_calls, 1);
  EXPECT_TRUE(resumed->stopped());
  release.set_value();
  drain_workers();
  run_io();
  EXPECT_TRUE(resumed->sends.empty());
}

TEST_F(RoomSubscriptionTest, ClosedRoomSendsClosedAfterTheReplay) {
  publish(5);
  close_room();
  tick();
  const auto resumed = subscribe(2);
  run_io_until([&] { return resumed->sent_closed(); });
  ASSERT_EQ(resumed->sends.size(), 2u);
  EXPECT_EQ(resumed->sends[0].ids, id_range(3, 5));
  EXPECT_EQ(resumed->sends[1].what, kind::closed);
  EXPECT_EQ(resumed->unflushed(), 0u);

  const auto live = subscribe(std::nullopt);
  ASSERT_EQ(live->sends.size(), 1u);
  EXPECT_EQ(live->sends[0].what, kind::closed);
  EXPECT_EQ(live->unflushed(), 0u);
}

TEST_F(RoomSubscriptionTest, LiveSubscriberGetsClosedOnceAfterTheMessages) {
  const auto live = subscribe(std::nullopt);
  publish(2);
  close_room();
  tick();
  ASSERT_EQ(live->sends.size(), 1u);
  EXPECT_EQ(live->sends[0].what, kind::batch);
  EXPECT_EQ(live->sends[0].ids, id_range(1, 2));
  EXPECT_TRUE(live->sends[0].closes_room);

  // Nothing follows `closed`, whatever arrives.
  fanouts_[0]->deliver({make_batch(room, make_messages(room, 3, 3), true)});
  EXPECT_EQ(live->sends.size(), 1u);
}

// SPEC 4: a member's exit ends their streams after what was kept before it; another
// member's streams of the room go on.
TEST_F(RoomSubscriptionTest, AMembersExitEndsTheirStreamAfterWhatCameBefore) {
  auto leaver = std::make_shared<recording_subscription>(services_, room, std::nullopt, false, "ann");
  leaver->start(0, io_.get_executor());
  auto stayer = std::make_shared<recording_subscription>(services_, room, std::nullopt, false, "bob");
  stayer->start(0, io_.get_executor());
  // Messages 1..2 kept before ann's exit, 3 after it, in one tick.
  fanouts_[0]->deliver(
      {make_batch(room, make_messages(room, 1, 3), false, {member_exit{"ann", 2}})});
  ASSERT_EQ(leaver->sends.size(), 2u);
  EXPECT_EQ(leaver->sends[0].ids, id_range(1, 2));
  EXPECT_EQ(leaver->sends[1].what, kind::left);
  EXPECT_EQ(stayer->ids(), id_range(1, 3));
  EXPECT_FALSE(stayer->sent_closed());

  fanouts_[0]->deliver({make_batch(room, make_messages(room, 4, 4), false)});
  EXPECT_EQ(leaver->sends.size(), 2u) << "nothing follows `left`";
  EXPECT_EQ(stayer->ids(), id_range(1, 4));
}

TEST_F(RoomSubscriptionTest, ClosedInTheBatchAfterASkippedPartIsStillSent) {
  const auto keeper = subscribe(std::nullopt);
  publish(3);
  tick();
  const auto resumed = subscribe(1);  // replays 2..3 from memory
  publish(1);
  // A batch overlapping what it has, closing the room: 4 and `closed` are sent apart.
  fanouts_[0]->deliver({make_batch(room, make_messages(room, 3, 4), true)});
  ASSERT_EQ(resumed->sends.size(), 3u);
  EXPECT_EQ(resumed->sends[1].ids, std::vector<std::int64_t>{4});
  EXPECT_EQ(resumed->sends[2].what, kind::closed);
  EXPECT_EQ(resumed->unflushed(), 0u);
}

// The room closed just before the subscriber came, and the tick carrying `closed` arrives while
// its history is read: the replay, then `closed`, once, and all of it written.
TEST_F(RoomSubscriptionTest, ClosedDuringAReplayFromTheStoreIsSentAndWritten) {
  publish(5);
  close_room();  // no tick yet: `closed` is pending in the hub
  auto release = block_workers();
  const auto resumed = subscribe(0);
  tick();  // the closing batch, held
  EXPECT_TRUE(resumed->sends.empty());
  release.set_value();
  run_io_until([&] { return resumed->sent_closed(); });
  drain_workers();
  run_io();

  ASSERT_EQ(resumed->sends.size(), 2u);
  EXPECT_EQ(resumed->sends[0].ids, id_range(1, 5));
  EXPECT_EQ(resumed->sends[1].what, kind::closed);
  EXPECT_EQ(resumed->unflushed(), 0u) << "`closed` queued but never written";
}

TEST_F(RoomSubscriptionTest, StopEndsDeliveryAndIsIdempotent) {
  const auto live = subscribe(std::nullopt);
  publish(1);
  tick();
  live->stop();
  live->stop();
  EXPECT_EQ(listeners_here(), 0u);
  publish(1);
  tick();
  EXPECT_EQ(live->ids(), std::vector<std::int64_t>{1});
  EXPECT_EQ(live->too_slow_calls, 0);
}

TEST_F(RoomSubscriptionTest, SubscriptionDestroyedDuringItsHistoryReadIsForgotten) {
  publish(5);
  auto release = block_workers();
  auto resumed = subscribe(0);
  EXPECT_EQ(listeners_here(), 1u);
  resumed.reset();  // the connection went away
  EXPECT_EQ(listeners_here(), 0u);
  release.set_value();
  drain_workers();
  run_io();  // the page comes back to nobody
  publish(1);
  tick();
}

}  // namespace
}  // namespace livechat::fanout
