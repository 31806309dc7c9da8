// What the bench measures with: the latency histogram and the delivery marker.

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

#include "bench/delivery_marker.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/publisher.hpp"

namespace livechat::bench {
namespace {

TEST(LatencyHistogramTest, IsExactForSmallValues) {
  latency_histogram histogram;
  for (int value = 1; value <= 100; ++value) histogram.record(value);
  EXPECT_EQ(histogram.count(), 100u);
  EXPECT_EQ(histogram.percentile(0.5), 50);
  EXPECT_EQ(histogram.percentile(0.99), 99);
  EXPECT_EQ(histogram.percentile(1.0), 100);
  EXPECT_EQ(histogram.max(), 100);
}

TEST(LatencyHistogramTest, PercentilesAreWithinTwoPercentOfTheTruth) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> distribution(9.0, 1.5);  // µs: a long tail, like latency
  std::vector<std::int64_t> values;
  latency_histogram histogram;
  for (int i = 0; i < 100000; ++i) {
    const auto value = static_cast<std::int64_t>(distribution(random));
    values.push_back(value);
    histogram.record(value);
  }
  std::sort(values.begin(), values.end());
  for (const double fraction : {0.5, 0.9, 0.99, 0.999}) {
    const auto truth = values[static_cast<std::size_t>(fraction * values.size()) - 1];
    const auto reported = histogram.percentile(fraction);
    EXPECT_GE(reported, truth) << fraction;
    EXPECT_LE(static_cast<double>(reported), static_cast<double>(truth) * 1.02) << fraction;
  }
  EXPECT_EQ(histogram.percentile(1.0), values.back());
}

TEST(LatencyHistogramTest, MergesAndSurvivesTheTripThroughText) {
  latency_histogram first;
  latency_histogram second;
  first.record(10);
  first.record(1000);
  second.record(-5);  // counts as 0
  second.record(123456789);
  first.merge(second);
  const auto copy = latency_histogram::parse(first.serialize());
  EXPECT_EQ(copy.count(), 4u);
  EXPECT_EQ(copy.max(), 123456789);
  EXPECT_EQ(copy.percentile(0.25), 0);
  EXPECT_EQ(copy.percentile(0.5), 10);
  EXPECT_EQ(copy.percentile(0.75), first.percentile(0.75));
  EXPECT_THROW(latency_histogram::parse("5:x"), std::invalid_argument);
  EXPECT_THROW(latency_histogram::parse("999999:1"), std::invalid_argument);
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  const latency_histogram histogram;
  EXPECT_EQ(histogram.percentile(0.99), 0);
}

TEST(DeliveryMarkerTest, IsPaddedToThePayloadSize) {
  EXPECT_EQ(format_marker(7, 123, 20), "#lcb:7:123#xxxxxxxxx");
  EXPECT_EQ(format_marker(7, 123, 4), "#lcb:7:123#");
}

TEST(DeliveryMarkerTest, FindsEveryMarkerInAnyEnvelope) {
  const std::string sse_event =
      "id: 2\ndata: [{\"contents\":\"" + format_marker(1, 1000, 40) + "\"},{\"contents\":\"" +
      format_marker(2, 2000, 11) + "\"}]\n\n";
  const std::string socketio = "42[\"message\",\"" + format_marker(3, 3000, 0) + "\"]";
  const std::string adjacent = "#lcb:4:4000##lcb:5:5000#";
  std::vector<std::pair<std::uint64_t, std::int64_t>> found;
  for (const auto& bytes : {sse_event, socketio, adjacent}) {
    scan_markers(bytes, [&](std::uint64_t sequence, std::int64_t sent) {
      found.emplace_back(sequence, sent);
    });
  }
  EXPECT_EQ(found, (std::vector<std::pair<std::uint64_t, std::int64_t>>{
                       {1, 1000}, {2, 2000}, {3, 3000}, {4, 4000}, {5, 5000}}));
}

TEST(DeliveryMarkerTest, SkipsMalformedMarkers) {
  int found = 0;
  scan_markers("#lcb:#lcb:1#lcb:2:#lcb:x:1#lcb:99999999999999999999:1# #lcb:3:4",
               [&](std::uint64_t, std::int64_t) { ++found; });
  EXPECT_EQ(found, 0);
}

TEST(PublishReportTest, APublisherOnScheduleReachesTheOfferedRate) {
  // 200 messages at 100/s, each sent 3 ms after it was due.
  publish_report report;
  report.first_due_us = 1'000'000;
  for (std::int64_t i = 0; i < 200; ++i) {
    const std::int64_t due = report.first_due_us + i * 10'000;
    report.send_lag.record(3'000);
    report.last_send_us = due + 3'000;
    ++report.sent;
  }
  EXPECT_NEAR(report.achieved_rate(100), 100, 0.2);
  EXPECT_FALSE(report.behind_schedule());
}

TEST(PublishReportTest, ALatePublisherSaysSo) {
  // 100 messages due over one second went out over two: half the rate, a second late at worst.
  publish_report report;
  report.first_due_us = 0;
  report.sent = 100;
  report.last_send_us = 1'990'000;
  report.send_lag.record(1'000'000);
  EXPECT_NEAR(report.achieved_rate(100), 50, 0.5);
  EXPECT_TRUE(report.behind_schedule());
  EXPECT_EQ(publish_report{}.achieved_rate(100), 0);
  EXPECT_FALSE(publish_report{}.behind_schedule());
}

}  // namespace
}  // namespace livechat::bench
