#pragma once
// The subscriber connection: SUBSCRIBE / PSUBSCRIBE on one connection per node, with the set
// of channels and patterns it should hold, so that a reconnect restores them all before the
// `connected(true)` notification. See connection.hpp for threading and lifetime.
//
// Order: messages of one channel arrive in the order Redis published them (one connection,
// one FIFO); a reconnect may lose messages published while it was down, never reorder them.
// The owner fills that gap from history on `connected(true)`.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "redis/connection.hpp"

namespace livechat::redis {

class subscriber : public connection {
 public:
  /// `pattern` is empty for a SUBSCRIBE match, the PSUBSCRIBE pattern for a pattern match.
  using message_callback =
      std::function<void(std::string_view channel, std::string_view payload, std::string_view pattern)>;
  /// Runs once Redis confirmed the subscription (error empty), or with the error that
  /// prevented it (errc::not_connected, errc::connection_lost): the subscription is kept all
  /// the same and restored on the next connect.
  using subscribed_callback = std::function<void(boost::system::error_code)>;

  /// A subscriber on `executor` (not yet connecting: call start()).
  static std::shared_ptr<subscriber> create(executor_type executor, redis_config config);

  subscriber(executor_type executor, redis_config config);

  /// Where every message goes; set it before start().
  void set_message_handler(message_callback handler);

  /// Adds `channel` to the set (SUBSCRIBE now when connected); `done` as above.
  void subscribe(const std::string& channel, subscribed_callback done = {});
  /// Removes `channel` from the set (UNSUBSCRIBE now when connected).
  void unsubscribe(const std::string& channel);
  /// PSUBSCRIBE / PUNSUBSCRIBE counterparts.
  void psubscribe(const std::string& pattern, subscribed_callback done = {});
  void punsubscribe(const std::string& pattern);

  /// True when `channel` is in the set (whether or not Redis holds it right now).
  bool wants(const std::string& channel) const { return channels_.wanted.contains(channel); }
  std::size_t channel_count() const { return channels_.wanted.size(); }

 private:
  struct subscription_set {
    std::unordered_set<std::string> wanted;
    std::unordered_map<std::string, std::vector<subscribed_callback>> waiting;
  };

  bool on_push(reply& message) override;
  void on_handshake(std::function<void()> ready) override;
  void on_down(boost::system::error_code error) override;

  void add(subscription_set& set, std::string_view command, const std::string& name,
           subscribed_callback done);
  void remove(subscription_set& set, std::string_view command, const std::string& name);
  void confirm(subscription_set& set, const std::string& name);
  void restore(subscription_set& set, std::string_view command);
  bool can_send() const { return connected() || restoring_; }

  message_callback message_handler_;
  subscription_set channels_;
  subscription_set patterns_;
  bool restoring_ = false;
};

}  // namespace livechat::redis
