#include "net/output_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace livechat::net {
namespace {

// The bytes a gather write would send.
std::string gathered(const output_queue::write_buffers& buffers) {
  std::string bytes;
  for (const boost::asio::const_buffer buffer : buffers) {
    bytes.append(static_cast<const char*>(buffer.data()), buffer.size());
  }
  return bytes;
}

TEST(OutputQueueTest, StartsIdle) {
  const output_queue queue(100);
  EXPECT_TRUE(queue.idle());
  EXPECT_FALSE(queue.writing());
  EXPECT_FALSE(queue.has_queued());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutputQueueTest, EverythingQueuedLeavesInOneWriteInOrder) {
  output_queue queue(100);
  const auto shared = std::make_shared<const std::string>("shared;");
  ASSERT_TRUE(queue.push_owned("own;"));
  ASSERT_TRUE(queue.push_shared(shared, *shared));
  ASSERT_TRUE(queue.push_owned("more"));
  EXPECT_EQ(queue.bytes(), 15u);

  const auto& buffers = queue.start_write();
  EXPECT_EQ(buffers.size(), 3u);
  EXPECT_EQ(gathered(buffers), "own;shared;more");
  EXPECT_TRUE(queue.writing());
  EXPECT_FALSE(queue.has_queued());
  queue.finish_write();
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutputQueueTest, LimitIsEnforcedAndARefusedPushQueuesNothing) {
  output_queue queue(10);
  const auto shared = std::make_shared<const std::string>("12345");
  ASSERT_TRUE(queue.push_owned("1234"));
  EXPECT_FALSE(queue.push_owned("1234567"));
  EXPECT_FALSE(queue.push_shared(shared, *shared + "67"));
  EXPECT_EQ(queue.bytes(), 4u);
  ASSERT_TRUE(queue.push_shared(shared, *shared));
  ASSERT_TRUE(queue.push_owned("x"));  // exactly at the limit
  EXPECT_FALSE(queue.push_owned("y"));
  EXPECT_EQ(queue.bytes(), 10u);
  EXPECT_EQ(gathered(queue.start_write()), "123412345x");
}

TEST(OutputQueueTest, BytesBeingWrittenCountAgainstTheLimit) {
  output_queue queue(10);
  ASSERT_TRUE(queue.push_owned("12345678"));
  (void)queue.start_write();
  EXPECT_FALSE(queue.push_owned("abc"));
  ASSERT_TRUE(queue.push_owned("ab"));
  queue.finish_write();
  EXPECT_EQ(queue.bytes(), 2u);
  EXPECT_TRUE(queue.push_owned("cdefghij"));
}

TEST(OutputQueueTest, PinnedBytesCountAgainstTheLimitUntilGivenBack) {
  output_queue queue(10);
  ASSERT_TRUE(queue.pin(6));
  EXPECT_FALSE(queue.push_owned("12345"));  // 6 pinned + 5 > 10
  ASSERT_TRUE(queue.push_owned("1234"));
  EXPECT_FALSE(queue.pin(1));               // nothing counted when refused
  EXPECT_EQ(queue.pinned(), 6u);
  EXPECT_EQ(queue.bytes(), 4u);             // queued bytes only: the replay's pacing reads this
  queue.unpin(6);
  EXPECT_TRUE(queue.push_owned("abcdef"));
}

TEST(OutputQueueTest, EmptyPushesAreAcceptedAndQueueNothing) {
  output_queue queue(0);
  EXPECT_TRUE(queue.push_owned(""));
  EXPECT_TRUE(queue.push_shared(nullptr, {}));
  EXPECT_TRUE(queue.idle());
  EXPECT_FALSE(queue.push_owned("x"));
}

// Short strings live inside the std::string object (SSO): a view taken when pushed would
// dangle once the vector of pieces grows and moves them.
TEST(OutputQueueTest, OwnedShortStringsSurviveGrowthOfTheQueue) {
  output_queue queue(1 << 20);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = "m" + std::to_string(i) + ";";
    expected += piece;
    ASSERT_TRUE(queue.push_owned(std::move(piece)));
  }
  const auto& buffers = queue.start_write();
  EXPECT_EQ(buffers.size(), 1000u);
  EXPECT_EQ(gathered(buffers), expected);
  queue.finish_write();
}

TEST(OutputQueueTest, PushesDuringAWriteGoToTheNextWrite) {
  output_queue queue(100);
  ASSERT_TRUE(queue.push_owned("first"));
  const auto& first = queue.start_write();
  const std::string first_bytes = gathered(first);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.push_owned(i == 0 ? "second" : ""));
  // The write in progress is untouched by what was queued meanwhile.
  EXPECT_EQ(gathered(first), first_bytes);
  EXPECT_EQ(first_bytes, "first");
  EXPECT_TRUE(queue.has_queued());
  queue.finish_write();
  EXPECT_FALSE(queue.idle());
  EXPECT_EQ(gathered(queue.start_write()), "second");
  queue.finish_write();
  EXPECT_TRUE(queue.idle());
}

// A gather write that the socket took only in part: the rest is what the next write sends,
// pieces wholly written are released at once, and what was queued meanwhile stays queued.
TEST(OutputQueueTest, PartlyWrittenWritesGoOnFromWhereTheyStopped) {
  output_queue queue(100);
  auto first = std::make_shared<const std::string>("first;");
  const std::weak_ptr<const std::string> watch = first;
  ASSERT_TRUE(queue.push_shared(first, *first));
  first.reset();
  ASSERT_TRUE(queue.push_owned("second;"));
  ASSERT_TRUE(queue.push_owned("third;"));
  (void)queue.start_write();
  ASSERT_TRUE(queue.push_owned("later;"));

  queue.consume(8);  // "first;" and "se"
  EXPECT_TRUE(watch.expired());
  EXPECT_TRUE(queue.writing());
  EXPECT_EQ(gathered(queue.unwritten()), "cond;third;");
  EXPECT_EQ(queue.bytes(), 11u + 6u);

  queue.consume(11);
  EXPECT_FALSE(queue.writing());
  EXPECT_TRUE(queue.has_queued());
  EXPECT_EQ(queue.bytes(), 6u);
  EXPECT_EQ(gathered(queue.start_write()), "later;");
  queue.consume(6);
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutputQueueTest, AFailedWriteReleasesWhatIsLeftOfIt) {
  output_queue queue(100);
  ASSERT_TRUE(queue.push_owned("abcdef"));
  (void)queue.start_write();
  ASSERT_TRUE(queue.push_owned("gh"));
  queue.consume(2);
  queue.finish_write();
  EXPECT_FALSE(queue.writing());
  EXPECT_EQ(queue.bytes(), 2u);
  EXPECT_EQ(gathered(queue.start_write()), "gh");
}

// Asio reads a write's buffers in place while the connection queues more: the view must not
// be disturbed when the queue's storage grows.
TEST(OutputQueueTest, TheWriteInProgressSurvivesTheQueueGrowing) {
  output_queue queue(1 << 20);
  ASSERT_TRUE(queue.push_owned("in flight"));
  const auto buffers = queue.start_write();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.push_owned("queued"));
  EXPECT_EQ(gathered(buffers), "in flight");
  EXPECT_EQ(buffers.size(), 1u);
}

TEST(OutputQueueTest, SharedPiecesKeepTheirOwnerAliveUntilWritten) {
  output_queue queue(100);
  auto owner = std::make_shared<const std::string>("tick bytes");
  const std::weak_ptr<const std::string> watch = owner;
  ASSERT_TRUE(queue.push_shared(owner, *owner));
  owner.reset();
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(gathered(queue.start_write()), "tick bytes");
  EXPECT_FALSE(watch.expired());
  queue.finish_write();
  EXPECT_TRUE(watch.expired());
}

TEST(OutputQueueTest, CapacityIsReleasedWhenIdle) {
  output_queue queue(1 << 20);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.push_owned("piece"));
  (void)queue.start_write();
  queue.finish_write();
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.reserved_pieces(), 0u);
}

// A busy connection queues a tick's pieces while the previous tick is being written; once both
// are written it is idle and must not keep the memory of either.
TEST(OutputQueueTest, CapacityIsReleasedWhenIdleAfterOverlappingWrites) {
  output_queue queue(1 << 20);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.push_owned("piece"));
  (void)queue.start_write();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(queue.push_owned("piece"));
  queue.finish_write();
  (void)queue.start_write();
  queue.finish_write();
  EXPECT_TRUE(queue.idle());
  EXPECT_EQ(queue.reserved_pieces(), 0u);
}

TEST(OutputQueueTest, SmallQueueKeepsItsFewSlots) {
  // A handful of pieces per tick is the common case: their slots are kept, not reallocated.
  output_queue queue(100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.push_owned("p"));
  (void)queue.start_write();
  queue.finish_write();
  EXPECT_TRUE(queue.idle());
  EXPECT_LE(queue.reserved_pieces(), 32u);
}

TEST(OutputQueueTest, SpareSlotsGoBackOnlyAfterASecondWithoutWriting) {
  output_queue queue(100);
  ASSERT_TRUE(queue.push_owned("p"));
  (void)queue.start_write();
  queue.finish_write();
  ASSERT_GT(queue.reserved_pieces(), 0u);
  const auto wrote = std::chrono::steady_clock::now();
  queue.release_spare_capacity(wrote, wrote + std::chrono::milliseconds(999));
  EXPECT_GT(queue.reserved_pieces(), 0u);  // busy connections keep their slots
  ASSERT_TRUE(queue.push_owned("q"));
  queue.release_spare_capacity(wrote, wrote + std::chrono::seconds(5));
  EXPECT_GT(queue.reserved_pieces(), 0u);  // not idle: something is queued
  (void)queue.start_write();
  queue.finish_write();
  queue.release_spare_capacity(wrote, wrote + std::chrono::seconds(1));
  EXPECT_EQ(queue.reserved_pieces(), 0u);
  EXPECT_TRUE(queue.idle());
}

}  // namespace
}  // namespace livechat::net
