#include "billing/usage_meter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.hpp"

namespace livechat::billing {
namespace {

std::map<std::string, std::uint64_t> as_map(const std::vector<usage>& usages) {
  std::map<std::string, std::uint64_t> counts;
  for (const auto& entry : usages) {
    EXPECT_FALSE(counts.contains(entry.session_id)) << "one entry per session";
    counts[entry.session_id] += entry.count;
  }
  return counts;
}

std::int64_t pending_gauge() { return metrics::counters().billing_pending_count.load(); }

TEST(UsageMeter, TakesWhatWasRecordedSummedPerSession) {
  usage_meter meter;
  meter.record("a", 3);
  meter.record("b", 5);
  meter.record("a", 2);
  meter.record("c", 0);  // nothing delivered: no report

  const auto taken = as_map(meter.take_pending());
  EXPECT_EQ(taken, (std::map<std::string, std::uint64_t>{{"a", 5}, {"b", 5}}));
  EXPECT_EQ(meter.unreported(), 10u);  // in flight until settled
  EXPECT_TRUE(meter.take_pending().empty()) << "a count in flight is not taken twice";
}

TEST(UsageMeter, AcceptedCountsAreForgotten) {
  usage_meter meter;
  meter.record("a", 4);
  for (const auto& report : meter.take_pending()) meter.settle(report, true);
  EXPECT_EQ(meter.unreported(), 0u);
  EXPECT_TRUE(meter.take_pending().empty());

  meter.record("a", 1);
  EXPECT_EQ(meter.take_pending(), (std::vector<usage>{{"a", 1}})) << "only what came after";
}

TEST(UsageMeter, FailedCountsAreCarriedIntoTheNextTake) {
  usage_meter meter;
  meter.record("a", 3);
  const auto first = meter.take_pending();
  ASSERT_EQ(first, (std::vector<usage>{{"a", 3}}));

  meter.record("a", 2);  // delivered while the report is in flight
  EXPECT_EQ(meter.pending_for("a"), 2u);
  meter.settle(first[0], false);
  EXPECT_EQ(meter.pending_for("a"), 5u);
  EXPECT_EQ(meter.unreported(), 5u);

  // Fails again, then goes through: everything arrives once, in one report.
  auto second = meter.take_pending();
  ASSERT_EQ(second, (std::vector<usage>{{"a", 5}}));
  meter.settle(second[0], false);
  meter.record("a", 1);
  auto third = meter.take_pending();
  ASSERT_EQ(third, (std::vector<usage>{{"a", 6}}));
  meter.settle(third[0], true);
  EXPECT_EQ(meter.unreported(), 0u);
  EXPECT_TRUE(meter.take_pending().empty());
}

TEST(UsageMeter, PendingGaugeFollowsPendingPlusInFlight) {
  const std::int64_t before = pending_gauge();
  {
    usage_meter meter;
    meter.record("a", 7);
    meter.record("b", 3);
    EXPECT_EQ(pending_gauge() - before, 10);
    const auto taken = meter.take_pending();
    EXPECT_EQ(pending_gauge() - before, 10) << "in flight still counts";
    for (const auto& report : taken) meter.settle(report, report.session_id == "a");
    EXPECT_EQ(pending_gauge() - before, 3) << "a accepted, b back to pending";
    meter.record("c", 1);
    EXPECT_EQ(pending_gauge() - before, 4);
  }
  EXPECT_EQ(pending_gauge(), before) << "a destroyed meter leaves the gauge";
}

TEST(UsageMeter, ConcurrentRecordsAddUpExactly) {
  constexpr int threads = 8;
  constexpr int records_per_thread = 20'000;
  constexpr int sessions = 13;
  usage_meter meter;
  std::latch start{threads};
  std::vector<std::thread> recorders;
  for (int t = 0; t < threads; ++t) {
    recorders.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < records_per_thread; ++i) {
        meter.record("session-" + std::to_string((t + i) % sessions), 1 + (i % 3));
      }
    });
  }
  for (auto& thread : recorders) thread.join();

  // Per thread, i % 3 cycles through 1, 2, 3.
  std::uint64_t expected = 0;
  for (int i = 0; i < records_per_thread; ++i) expected += 1 + (i % 3);
  expected *= threads;

  std::uint64_t total = 0;
  for (const auto& report : meter.take_pending()) total += report.count;
  EXPECT_EQ(total, expected);
  EXPECT_EQ(meter.unreported(), expected);
}

// Recorders race a reporter that takes and settles, failing every third report: what was
// accepted plus what is left equals what was recorded, so nothing is lost or counted twice.
TEST(UsageMeter, ConcurrentTakeAndSettleLoseAndDuplicateNothing) {
  constexpr int threads = 8;
  constexpr int records_per_thread = 20'000;
  usage_meter meter;
  std::atomic<bool> recording{true};
  std::map<std::string, std::uint64_t> accepted;

  std::thread reporter([&] {
    int round = 0;
    auto report_once = [&] {
      for (const auto& report : meter.take_pending()) {
        const bool ok = ++round % 3 != 0;
        if (ok) accepted[report.session_id] += report.count;
        meter.settle(report, ok);
      }
    };
    while (recording.load()) report_once();
    report_once();
  });

  std::latch start{threads};
  std::vector<std::thread> recorders;
  for (int t = 0; t < threads; ++t) {
    recorders.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < records_per_thread; ++i) {
        meter.record(i % 2 == 0 ? "even" : "odd-" + std::to_string(t % 2), 1);
      }
    });
  }
  for (auto& thread : recorders) thread.join();
  recording = false;
  reporter.join();

  // Whatever the last round failed is still pending.
  for (const auto& report : meter.take_pending()) {
    accepted[report.session_id] += report.count;
    meter.settle(report, true);
  }
  EXPECT_EQ(accepted["even"], static_cast<std::uint64_t>(threads * records_per_thread / 2));
  EXPECT_EQ(accepted["odd-0"] + accepted["odd-1"],
            static_cast<std::uint64_t>(threads * records_per_thread / 2));
  EXPECT_EQ(accepted["odd-0"], accepted["odd-1"]);
  EXPECT_EQ(meter.unreported(), 0u);
}

}  // namespace
}  // namespace livechat::billing
