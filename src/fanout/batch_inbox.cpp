#include "fanout/batch_inbox.hpp"

#include <iterator>

namespace livechat::fanout {

bool batch_inbox::add(batch_list batches) {
  const std::scoped_lock lock{mutex_};
  if (waiting_.empty()) {
    waiting_ = std::move(batches);
  } else {
    waiting_.insert(waiting_.end(), std::make_move_iterator(batches.begin()),
                    std::make_move_iterator(batches.end()));
  }
  const bool must_post = !pass_pending_;
  pass_pending_ = true;
  return must_post;
}

batch_list batch_inbox::take() {
  const std::scoped_lock lock{mutex_};
  pass_pending_ = false;
  return std::exchange(waiting_, {});
}

}  // namespace livechat::fanout
