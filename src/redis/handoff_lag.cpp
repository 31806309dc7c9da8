#include "redis/handoff_lag.hpp"

#include <boost/asio/post.hpp>

#include "redis/key_layout.hpp"

namespace livechat::redis {

void read_handoff_lag(const std::shared_ptr<command_client>& client,
                      std::function<void(std::optional<std::uint64_t>)> done) {
  // The XLENs go out together (pipelined); the last reply hands the sum on.
  struct sum {
    int remaining = shard_count;
    std::optional<std::uint64_t> total = 0;
    std::function<void(std::optional<std::uint64_t>)> done;
  };
  boost::asio::post(client->get_executor(), [client, done = std::move(done)]() mutable {
    auto state = std::make_shared<sum>(sum{.done = std::move(done)});
    for (int shard = 0; shard < shard_count; ++shard) {
      client->execute({"XLEN", handoff_key(shard)},
                      [state](boost::system::error_code error, reply answer) {
                        if (error || answer.type != reply::kind::integer) {
                          state->total.reset();
                        } else if (state->total) {
                          *state->total += static_cast<std::uint64_t>(answer.integer);
                        }
                        if (--state->remaining == 0) state->done(state->total);
                      });
    }
  });
}

}  // namespace livechat::redis
