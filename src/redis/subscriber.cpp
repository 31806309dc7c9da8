#include "redis/subscriber.hpp"

#include <boost/asio/post.hpp>

namespace livechat::redis {

namespace {

// SUBSCRIBE with many channels is split so that one command stays a reasonable size.
constexpr std::size_t restore_batch = 512;

}  // namespace

std::shared_ptr<subscriber> subscriber::create(executor_type executor, redis_config config) {
  return std::make_shared<subscriber>(std::move(executor), std::move(config));
}

subscriber::subscriber(executor_type executor, redis_config config)
    : connection(std::move(executor), std::move(config)) {}

void subscriber::set_message_handler(message_callback handler) {
  message_handler_ = std::move(handler);
}

void subscriber::subscribe(const std::string& channel, subscribed_callback done) {
  add(channels_, "SUBSCRIBE", channel, std::move(done));
}

void subscriber::unsubscribe(const std::string& channel) {
  remove(channels_, "UNSUBSCRIBE", channel);
}

void subscriber::psubscribe(const std::string& pattern, subscribed_callback done) {
  add(patterns_, "PSUBSCRIBE", pattern, std::move(done));
}

void subscriber::punsubscribe(const std::string& pattern) {
  remove(patterns_, "PUNSUBSCRIBE", pattern);
}

void subscriber::add(subscription_set& set, std::string_view command, const std::string& name,
                     subscribed_callback done) {
  bool added = set.wanted.insert(name).second;
  if (!can_send()) {
    if (done) boost::asio::post(get_executor(), [done = std::move(done)] { done(errc::not_connected); });
    return;
  }
  auto waiting = set.waiting.find(name);
  if (!added && waiting == set.waiting.end()) {
    // Already confirmed on this connection.
    if (done) boost::asio::post(get_executor(), [done = std::move(done)] { done({}); });
    return;
  }
  if (waiting == set.waiting.end()) {
    waiting = set.waiting.emplace(name, std::vector<subscribed_callback>{}).first;
  }
  if (done) waiting->second.push_back(std::move(done));
  if (added) {
    std::string_view args[] = {command, name};
    send_without_reply(args);
  }
}

void subscriber::remove(subscription_set& set, std::string_view command, const std::string& name) {
  if (set.wanted.erase(name) == 0 || !can_send()) return;
  std::string_view args[] = {command, name};
  send_without_reply(args);
}

void subscriber::confirm(subscription_set& set, const std::string& name) {
  auto waiting = set.waiting.find(name);
  if (waiting == set.waiting.end()) return;
  auto callbacks = std::move(waiting->second);
  set.waiting.erase(waiting);
  for (auto& done : callbacks) done({});
}

bool subscriber::on_push(reply& message) {
  if (message.type != reply::kind::array || message.elements.size() < 3) return false;
  const auto& kind = message.elements[0].text;
  auto& items = message.elements;
  if (kind == "message") {
    if (message_handler_) message_handler_(items[1].text, items[2].text, {});
  } else if (kind == "pmessage" && items.size() == 4) {
    if (message_handler_) message_handler_(items[2].text, items[3].text, items[1].text);
  } else if (kind == "subscribe") {
    confirm(channels_, items[1].text);
  } else if (kind == "psubscribe") {
    confirm(patterns_, items[1].text);
  } else if (kind != "unsubscribe" && kind != "punsubscribe") {
    return false;  // ["pong", ""]: the answer to a PING in subscribed mode
  }
  return true;
}

void subscriber::restore(subscription_set& set, std::string_view command) {
  std::vector<std::string_view> args;
  for (auto it = set.wanted.begin(); it != set.wanted.end();) {
    args.assign({command});
    for (; it != set.wanted.end() && args.size() <= restore_batch; ++it) {
      args.push_back(*it);
      // Unconfirmed until Redis says so: a subscribe() meanwhile waits for the confirmation.
      set.waiting.try_emplace(*it);
    }
    send_without_reply(args);
  }
}

void subscriber::on_handshake(std::function<void()> ready) {
  restoring_ = true;
  restore(channels_, "SUBSCRIBE");
  restore(patterns_, "PSUBSCRIBE");
  // Redis answers in order: once this PING is answered, every confirmation above has come.
  std::string_view ping[] = {"PING"};
  send(ping,
       [self = std::static_pointer_cast<subscriber>(shared_from_this()), generation = generation(),
        ready = std::move(ready)](boost::system::error_code, reply) {
         if (!self->is_current(generation)) return;
         self->restoring_ = false;
         ready();
       },
       true);
}

void subscriber::on_down(boost::system::error_code error) {
  restoring_ = false;
  errc reason = error == errc::shutdown ? errc::shutdown : errc::connection_lost;
  // Posted: close() may be running inside a caller.
  for (auto* set : {&channels_, &patterns_}) {
    for (auto& [name, callbacks] : set->waiting) {
      for (auto& done : callbacks) {
        boost::asio::post(get_executor(), [done = std::move(done), reason] { done(reason); });
      }
    }
    set->waiting.clear();
  }
  if (reason == errc::shutdown) {
    // Dropped later, not here: close() may run inside the message handler itself. Dropping it
    // breaks any cycle through what it captured.
    boost::asio::post(get_executor(), [self = shared_from_this(), this] { message_handler_ = nullptr; });
  }
}

}  // namespace livechat::redis
