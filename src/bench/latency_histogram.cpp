#include "bench/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace livechat::bench {

// Values below 2^linear_limit_bits get a bucket each. Above, a value whose highest bit is b
// falls in the group of b, split in 2^sub_bucket_bits buckets by the bits just below b.
std::size_t latency_histogram::bucket_of(std::uint64_t value) {
  constexpr std::uint64_t linear_limit = std::uint64_t{1} << linear_limit_bits;
  if (value < linear_limit) return static_cast<std::size_t>(value);
  const int top_bit = 63 - std::countl_zero(value);
  const int shift = top_bit - sub_bucket_bits;
  const std::uint64_t sub_bucket = (value >> shift) & ((std::uint64_t{1} << sub_bucket_bits) - 1);
  const std::size_t group = static_cast<std::size_t>(top_bit - linear_limit_bits + 1);
  return linear_limit + ((group - 1) << sub_bucket_bits) + sub_bucket;
}

std::uint64_t latency_histogram::upper_bound_of(std::size_t bucket) {
  constexpr std::uint64_t linear_limit = std::uint64_t{1} << linear_limit_bits;
  if (bucket < linear_limit) return bucket;
  const std::size_t offset = bucket - linear_limit;
  const std::size_t group = (offset >> sub_bucket_bits) + 1;
  const std::uint64_t sub_bucket = offset & ((std::size_t{1} << sub_bucket_bits) - 1);
  const int top_bit = static_cast<int>(group) + linear_limit_bits - 1;
  const int shift = top_bit - sub_bucket_bits;
  const std::uint64_t lowest = (std::uint64_t{1} << top_bit) | (sub_bucket << shift);
  return lowest + ((std::uint64_t{1} << shift) - 1);
}

void latency_histogram::record(std::int64_t microseconds) {
  const std::uint64_t value = microseconds < 0 ? 0 : static_cast<std::uint64_t>(microseconds);
  ++counts_[std::min(bucket_of(value), bucket_count - 1)];
  ++count_;
  max_ = std::max(max_, static_cast<std::int64_t>(value));
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::int64_t latency_histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const auto wanted = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= wanted) {
      return std::min(static_cast<std::int64_t>(upper_bound_of(i)), max_);
    }
  }
  return max_;
}

std::string latency_histogram::serialize() const {
  std::string text;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    if (counts_[i] == 0) continue;
    if (!text.empty()) text += ' ';
    text += std::to_string(i);
    text += ':';
    text += std::to_string(counts_[i]);
  }
  text += " max:" + std::to_string(max_);
  return text;
}

latency_histogram latency_histogram::parse(std::string_view text) {
  latency_histogram histogram;
  while (!text.empty()) {
    const auto end = std::min(text.find(' '), text.size());
    const auto item = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (item.empty()) continue;
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) throw std::invalid_argument("histogram: no ':'");
    const auto key = item.substr(0, colon);
    const auto number = item.substr(colon + 1);
    std::uint64_t value = 0;
    auto [stop, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc{} || stop != number.data() + number.size()) {
      throw std::invalid_argument("histogram: bad count");
    }
    if (key == "max") {
      histogram.max_ = static_cast<std::int64_t>(value);
      continue;
    }
    std::size_t index = 0;
    auto [key_stop, key_error] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (key_error != std::errc{} || key_stop != key.data() + key.size() || index >= bucket_count) {
      throw std::invalid_argument("histogram: bad bucket");
    }
    histogram.counts_[index] += value;
    histogram.count_ += value;
  }
  return histogram;
}

}  // namespace livechat::bench
