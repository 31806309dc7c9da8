#include "fanout/thread_fanout.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fanout_test_support.hpp"

namespace livechat::fanout {
namespace {

using livechat::testing::make_test_batch;

// A connection that counts its writes and, at each, how many batches its listeners had queued.
class counting_sink final : public delivery_sink {
 public:
  void shut_down() override {}
  void flush_deliveries() override {
    ++flushes;
    queued_at_flush.push_back(queued);
  }
  int flushes = 0;
  int queued = 0;
  std::vector<int> queued_at_flush;
};

// A listener that records the batches it gets; `on_deliver` runs inside deliver().
class recording_listener final : public listener {
 public:
  recording_listener(std::string room_id, counting_sink* sink)
      : listener(std::move(room_id)), sink_(sink) {}

  delivery_sink* deliver(const std::shared_ptr<const batch>& delivered) override {
    received.push_back(delivered);
    if (sink_ != nullptr) ++sink_->queued;
    if (on_deliver) on_deliver();
    return sink_;
  }

  std::vector<std::shared_ptr<const batch>> received;
  std::function<void()> on_deliver;

 private:
  counting_sink* sink_;
};

TEST(ThreadFanoutTest, DeliversEachRoomsBatchToItsListenersOnly) {
  thread_fanout fanout(0);
  counting_sink sink;
  recording_listener in_a("a", &sink);
  recording_listener in_b("b", &sink);
  fanout.add(in_a);
  fanout.add(in_b);
  EXPECT_EQ(fanout.listener_count(), 2u);

  const auto batch_a = make_test_batch("a", 1, 2);
  const auto batch_c = make_test_batch("c", 1, 1);  // nobody here listens to c
  fanout.deliver({batch_a, batch_c});
  ASSERT_EQ(in_a.received.size(), 1u);
  EXPECT_EQ(in_a.received[0], batch_a);  // the shared batch itself, not a copy
  EXPECT_TRUE(in_b.received.empty());
  EXPECT_EQ(sink.flushes, 1);
}

TEST(ThreadFanoutTest, OneFlushPerConnectionPerTickAfterAllItsListeners) {
  thread_fanout fanout(0);
  counting_sink busy;
  counting_sink quiet;
  recording_listener first_in_a("a", &busy);
  recording_listener second_in_a("a", &busy);
  recording_listener busy_in_b("b", &busy);
  recording_listener quiet_in_b("b", &quiet);
  for (listener* each : std::initializer_list<listener*>{&first_in_a, &second_in_a, &busy_in_b,
                                                          &quiet_in_b}) {
    fanout.add(*each);
  }

  fanout.deliver({make_test_batch("a", 1, 3), make_test_batch("b", 7, 7)});
  EXPECT_EQ(busy.flushes, 1);
  EXPECT_EQ(busy.queued_at_flush, std::vector<int>{3});  // written once, with all three
  EXPECT_EQ(quiet.flushes, 1);

  fanout.deliver({make_test_batch("a", 4, 4)});
  EXPECT_EQ(busy.flushes, 2);  // the next tick writes again
  EXPECT_EQ(quiet.flushes, 1);
}

TEST(ThreadFanoutTest, BatchesOfATickArriveInOrder) {
  thread_fanout fanout(0);
  counting_sink sink;
  recording_listener subscriber("a", &sink);
  fanout.add(subscriber);
  const auto first = make_test_batch("a", 1, 2);
  const auto second = make_test_batch("a", 3, 3, true);
  fanout.deliver({first, second});
  ASSERT_EQ(subscriber.received.size(), 2u);
  EXPECT_EQ(subscriber.received[0], first);
  EXPECT_EQ(subscriber.received[1], second);
}

TEST(ThreadFanoutTest, ListenerReturningNoSinkIsNotFlushed) {
  thread_fanout fanout(0);
  recording_listener subscriber("a", nullptr);
  fanout.add(subscriber);
  fanout.deliver({make_test_batch("a", 1, 1)});
  EXPECT_EQ(subscriber.received.size(), 1u);
}

TEST(ThreadFanoutTest, ListenerMayRemoveItselfDuringDelivery) {
  thread_fanout fanout(0);
  counting_sink sink;
  recording_listener first("a", &sink);
  recording_listener leaving("a", &sink);
  recording_listener last("a", &sink);
  fanout.add(first);
  fanout.add(leaving);
  fanout.add(last);
  leaving.on_deliver = [&] { fanout.remove(leaving); };

  fanout.deliver({make_test_batch("a", 1, 1), make_test_batch("b", 1, 1)});
  EXPECT_EQ(first.received.size(), 1u);
  EXPECT_EQ(leaving.received.size(), 1u);
  EXPECT_EQ(last.received.size(), 1u);  // the others are still delivered
  EXPECT_EQ(sink.flushes, 1);
  EXPECT_EQ(fanout.listener_count(), 2u);

  fanout.deliver({make_test_batch("a", 2, 2)});
  EXPECT_EQ(first.received.size(), 2u);
  EXPECT_EQ(leaving.received.size(), 1u);
  EXPECT_EQ(last.received.size(), 2u);
}

TEST(ThreadFanoutTest, EveryListenerOfARoomMayRemoveItselfDuringDelivery) {
  thread_fanout fanout(0);
  counting_sink sink;
  recording_listener first("a", &sink);
  recording_listener second("a", &sink);
  recording_listener in_b("b", &sink);
  fanout.add(first);
  fanout.add(second);
  fanout.add(in_b);
  first.on_deliver = [&] { fanout.remove(first); };
  second.on_deliver = [&] { fanout.remove(second); };

  // The room empties while its list is being walked; the next batch of the tick still arrives.
  fanout.deliver({make_test_batch("a", 1, 1), make_test_batch("b", 1, 1),
                  make_test_batch("a", 2, 2)});
  EXPECT_EQ(first.received.size(), 1u);
  EXPECT_EQ(second.received.size(), 1u);
  EXPECT_EQ(in_b.received.size(), 1u);
  EXPECT_EQ(fanout.listener_count(), 1u);

  // The room can be listened to again.
  recording_listener again("a", &sink);
  fanout.add(again);
  fanout.deliver({make_test_batch("a", 3, 3)});
  EXPECT_EQ(again.received.size(), 1u);
}

TEST(ThreadFanoutTest, RemovedOrDestroyedListenersGetNothing) {
  thread_fanout fanout(0);
  counting_sink sink;
  recording_listener removed("a", &sink);
  recording_listener staying("a", &sink);
  fanout.add(removed);
  fanout.add(staying);
  {
    recording_listener destroyed("a", &sink);
    fanout.add(destroyed);
    EXPECT_EQ(fanout.listener_count(), 3u);
  }  // unlinks itself
  fanout.remove(removed);
  fanout.remove(removed);  // removing twice is harmless
  EXPECT_EQ(fanout.listener_count(), 1u);

  fanout.deliver({make_test_batch("a", 1, 1)});
  EXPECT_TRUE(removed.received.empty());
  EXPECT_EQ(staying.received.size(), 1u);

  fanout.remove(staying);
  EXPECT_EQ(fanout.listener_count(), 0u);
  fanout.deliver({make_test_batch("a", 2, 2)});
  EXPECT_EQ(staying.received.size(), 1u);
  EXPECT_EQ(sink.flushes, 1);
}

TEST(ThreadFanoutTest, WithAnExecutorWritesInSlicesBetweenOtherHandlers) {
  boost::asio::io_context io;
  thread_fanout fanout(0, io.get_executor(), 2);
  std::vector<std::unique_ptr<counting_sink>> sinks;
  std::vector<std::unique_ptr<recording_listener>> listeners;
  for (int i = 0; i < 5; ++i) {
    sinks.push_back(std::make_unique<counting_sink>());
    listeners.push_back(std::make_unique<recording_listener>("a", sinks.back().get()));
    fanout.add(*listeners.back());
  }
  fanout.deliver({make_test_batch("a", 1, 1)});
  // Every listener queued at once; two connections wrote, the rest wait for their slices.
  for (const auto& each : listeners) EXPECT_EQ(each->received.size(), 1u);
  EXPECT_EQ(fanout.flushes_pending(), 3u);
  bool other_handler_ran = false;
  boost::asio::post(io, [&] {
    other_handler_ran = true;
    EXPECT_EQ(fanout.flushes_pending(), 3u);  // it ran between two slices
  });
  // A pass arriving meanwhile joins the pending writes: the three still waiting write both
  // batches at once, the two already written are queued again.
  fanout.deliver({make_test_batch("a", 2, 2)});
  EXPECT_EQ(fanout.flushes_pending(), 5u);
  io.run();
  EXPECT_TRUE(other_handler_ran);
  EXPECT_EQ(fanout.flushes_pending(), 0u);
  EXPECT_EQ(sinks[0]->queued_at_flush, (std::vector<int>{1, 2}));  // written in each pass
  EXPECT_EQ(sinks[1]->queued_at_flush, (std::vector<int>{1, 2}));
  for (std::size_t i = 2; i < sinks.size(); ++i) {
    EXPECT_EQ(sinks[i]->queued_at_flush, (std::vector<int>{2})) << i;  // both batches in one write
  }
}

TEST(ThreadFanoutTest, AConnectionDestroyedBeforeItsSliceIsNotWritten) {
  boost::asio::io_context io;
  thread_fanout fanout(0, io.get_executor(), 1);
  counting_sink first;
  auto doomed = std::make_unique<counting_sink>();
  recording_listener to_first("a", &first);
  recording_listener to_doomed("a", doomed.get());
  fanout.add(to_first);
  fanout.add(to_doomed);
  fanout.deliver({make_test_batch("a", 1, 1)});
  EXPECT_EQ(fanout.flushes_pending(), 1u);
  doomed.reset();  // unlinks itself from the pending writes
  EXPECT_EQ(fanout.flushes_pending(), 0u);
  io.run();
  EXPECT_EQ(first.flushes, 1);
}

TEST(ThreadFanoutTest, ShutDownMakesThePendingWritesFirst) {
  boost::asio::io_context io;
  thread_fanout fanout(0, io.get_executor(), 1);
  counting_sink first;
  counting_sink second;
  recording_listener to_first("a", &first);
  recording_listener to_second("a", &second);
  fanout.add(to_first);
  fanout.add(to_second);
  fanout.deliver({make_test_batch("a", 1, 1)});
  fanout.shut_down_streams();
  EXPECT_EQ(first.flushes + second.flushes, 2);
  EXPECT_EQ(fanout.flushes_pending(), 0u);
}

// A stream that counts the sweeps that reached it.
class sweeping_sink final : public delivery_sink {
 public:
  void shut_down() override {}
  void flush_deliveries() override {}
  void on_housekeeping(std::chrono::steady_clock::time_point) override { ++sweeps; }
  int sweeps = 0;
};

TEST(ThreadFanoutTest, HousekeepingVisitsEveryTrackedStreamEachInterval) {
  boost::asio::io_context io;
  thread_fanout fanout(0, io.get_executor());
  sweeping_sink kept;
  auto gone = std::make_unique<sweeping_sink>();
  fanout.track(kept);
  fanout.track(*gone);
  fanout.start_housekeeping(std::chrono::milliseconds(10));
  io.run_for(std::chrono::milliseconds(35));
  EXPECT_GE(kept.sweeps, 2);
  EXPECT_EQ(gone->sweeps, kept.sweeps);
  gone.reset();  // untracks itself: later sweeps do not touch it
  const int before = kept.sweeps;
  io.run_for(std::chrono::milliseconds(25));
  EXPECT_GT(kept.sweeps, before);
  fanout.stop_housekeeping();
}

}  // namespace
}  // namespace livechat::fanout
