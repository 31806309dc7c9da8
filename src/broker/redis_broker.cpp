#include "broker/redis_broker.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "broker/chat_sync_payload.hpp"
#include "metrics/metrics.hpp"
#include "redis/handoff_lag.hpp"
#include "redis/key_layout.hpp"
#include "redis/redis_error.hpp"
#include "redis/scripts.hpp"
#include "store/store.hpp"

namespace livechat::broker {

namespace asio = boost::asio;

namespace {

// A room read or control event that failed (Redis away) is tried again this often.
constexpr auto retry_interval = std::chrono::milliseconds(250);
// stop() lets publishes in flight be answered for this long before closing the connections.
constexpr auto stop_grace = std::chrono::seconds(2);
constexpr auto stop_poll_interval = std::chrono::milliseconds(10);
// A history read waits this long for Redis, then fails (503).
constexpr auto query_timeout = std::chrono::seconds(5);
// History reads ask for this many entries beyond `limit`: control events share the stream.
constexpr std::int64_t control_entry_slack = 64;

std::string entry_after(std::int64_t id) { return "(" + redis::history_entry_id(id); }

std::int64_t integer_of(const redis::reply& value) {
  if (value.type == redis::reply::kind::integer) return value.integer;
  if (value.type == redis::reply::kind::string) return std::stoll(value.text);
  return 0;  // nil: the room has no sequence yet
}

std::vector<model::message> messages_of(std::vector<room_entry>& entries) {
  std::vector<model::message> messages;
  messages.reserve(entries.size());
  for (room_entry& entry : entries) {
    if (entry.type == room_entry::kind::message) messages.push_back(std::move(entry.message));
  }
  return messages;
}

redis::redis_config named(redis::redis_config config, std::string name) {
  config.client_name = std::move(name);
  return config;
}

}  // namespace

redis_broker::redis_broker(redis::redis_config config, std::size_t history_size,
                           std::size_t max_message_length, store::store& store,
                           message_sink& sink)
    : history_size_(history_size),
      max_message_length_(max_message_length),
      store_(store),
      sink_(sink),
      work_(asio::make_work_guard(io_)),
      commands_(redis::command_client::create(io_.get_executor(), named(config, "livechat-node"))),
      subscriber_(redis::subscriber::create(io_.get_executor(), named(config, "livechat-node-sub"))),
      retry_timer_(io_) {
  // No thread runs io_ yet: setting up here is as good as on it.
  subscriber_->set_message_handler(
      [this](std::string_view channel, std::string_view payload, std::string_view pattern) {
        on_channel(channel, payload, pattern);
      });
  subscriber_->set_disconnected_handler([this](boost::system::error_code) {
    // Whatever is published until the channels are back is lost to them: hold the channels'
    // entries until each room is read again from its history.
    for (auto& [room_id, feed] : feeds_) feed->syncing = true;
  });
  subscriber_->set_connected_handler([this](bool) { resync_all(); });
  commands_->set_connected_handler([this](bool) { resync_all(); });
  subscriber_->psubscribe(std::string(redis::raw_end_pattern));
  commands_->start();
  subscriber_->start();
  thread_ = std::thread([this] { io_.run(); });
}

redis_broker::~redis_broker() { close_connections(); }

bool redis_broker::healthy() const {
  return !stopping_ && commands_->stats().connected.load(std::memory_order_relaxed) &&
         subscriber_->stats().connected.load(std::memory_order_relaxed);
}

void redis_broker::publish(std::vector<model::message> messages, publish_callback done) {
  if (messages.empty() || stopping_) return done(publish_status::unavailable, {});
  // Encoded here, on the caller's (worker) thread, to keep the Redis thread light.
  std::vector<std::string> args;
  args.reserve(4 + messages.size());
  const auto& room_id = messages.front().room_id;
  auto keys = redis::keys_for_room(room_id);
  args.insert(args.end(), {room_id, keys.channel, std::to_string(history_size_),
                           messages.front().sender});
  for (const model::message& message : messages) args.push_back(encode_payload(message));
  asio::post(io_, [this, keys = std::move(keys), args = std::move(args),
                   messages = std::move(messages), done = std::move(done)]() mutable {
    const std::string_view key_views[] = {keys.state, keys.history, keys.left, keys.handoff};
    const std::vector<std::string_view> arg_views(args.begin(), args.end());
    commands_->evalsha(
        redis::scripts::publish(), key_views, arg_views,
        [messages = std::move(messages), done = std::move(done)](boost::system::error_code error,
                                                                 redis::reply answer) mutable {
          if (error || answer.elements.size() != 2) {
            // not_connected: nothing was kept. connection_lost: it may have been, and then it
            // is delivered and saved; either way the sender is not told it was kept.
            if (error != redis::errc::not_connected) {
              spdlog::warn("publish to {} failed: {} {}", messages.front().room_id,
                           error.message(), answer.text);
            }
            return done(publish_status::unavailable, {});
          }
          const std::string& outcome = answer.elements[0].text;
          if (outcome == "closed" || outcome == "ended") return done(publish_status::closed, {});
          if (outcome == "left") return done(publish_status::sender_left, {});
          std::int64_t id = integer_of(answer.elements[1]);
          for (model::message& message : messages) message.id = id++;
          metrics::counters().messages_accepted.fetch_add(messages.size(),
                                                          std::memory_order_relaxed);
          done(publish_status::kept, messages);
        });
  });
}

void redis_broker::close(const std::string& room_id) {
  asio::post(io_, [this, room_id] { send_control({"closed", room_id, {}}); });
}

void redis_broker::left(const std::string& room_id, const std::string& user_id) {
  asio::post(io_, [this, room_id, user_id] { send_control({"left", room_id, user_id}); });
}

void redis_broker::joined(const std::string& room_id, const std::string& user_id) {
  asio::post(io_, [this, room_id, user_id] { send_control({"joined", room_id, user_id}); });
}

void redis_broker::send_control(control_request request) {
  const auto keys = redis::keys_for_room(request.room_id);
  const std::string_view key_views[] = {keys.state, keys.history, keys.left};
  const std::string_view args[] = {request.kind, request.room_id, keys.channel, request.user_id};
  commands_->evalsha(
      redis::scripts::control(), key_views, args,
      [this, request](boost::system::error_code error, redis::reply answer) mutable {
        if (error == redis::errc::server_error) {
          return spdlog::error("{} of {} refused by Redis: {}", request.kind, request.room_id,
                               answer.text);
        }
        if (error) {
          // Told again once Redis is back: other nodes' listeners wait for it, and a
          // `joined` not recorded would refuse the member's messages.
          if (error == redis::errc::shutdown) return;
          failed_controls_.push_back(std::move(request));
          return arm_retry();
        }
        const bool first_time = !answer.elements.empty() && answer.elements[0].text == "ok";
        if (request.kind == "ended" && first_time) {
          // A raw `<id>_END` (Chat Sync): the node that recorded it in Redis records it in
          // the store too, so that later listeners and tenant posts see it on every node.
          try {
            store_.end_session(request.room_id, model::now());
          } catch (const std::exception& failure) {
            spdlog::warn("session {} ended, not recorded in the store: {}", request.room_id,
                         failure.what());
          }
        }
      });
}

void redis_broker::subscribe(const std::string& room_id) {
  asio::post(io_, [this, room_id] {
    if (stopping_) return;  // stop() has ended every feed
    auto& feed = feeds_[room_id];
    if (feed) return;
    feed = std::make_shared<room_feed>();
    feed->room_id = room_id;
    // Chat Sync's raw channel of the session: no history to read, so no confirmation to wait
    // for; what is published there before Redis confirms is not this node's to deliver.
    subscriber_->subscribe(room_id);
    start_feed(feed);
  });
}

void redis_broker::unsubscribe(const std::string& room_id) {
  asio::post(io_, [this, room_id] {
    if (feeds_.erase(room_id) == 0) return;
    subscriber_->unsubscribe(redis::keys_for_room(room_id).channel);
    subscriber_->unsubscribe(room_id);
  });
}

bool redis_broker::current(const feed_ptr& feed) const {
  const auto found = feeds_.find(feed->room_id);
  return found != feeds_.end() && found->second == feed;
}

void redis_broker::start_feed(const feed_ptr& feed) {
  // The sequence is read before the channel is subscribed: every message above it came after
  // the first listener did, and is delivered; those at or below it only fill memory.
  const auto keys = redis::keys_for_room(feed->room_id);
  commands_->execute({"HGET", keys.state, "seq"}, [this, feed, channel = keys.channel](
                                                      boost::system::error_code error,
                                                      redis::reply answer) {
    if (!current(feed)) return;
    if (!error) feed->baseline = integer_of(answer);
    subscriber_->subscribe(channel, [this, feed, read = !error](boost::system::error_code error) {
      if (!current(feed)) return;
      if (error || !read) return sync_failed(feed);
      read_history(feed);
    });
  });
}

void redis_broker::sync(const feed_ptr& feed) {
  feed->syncing = true;
  feed->needs_sync = false;
  if (feed->baseline >= 0) return read_history(feed);
  const auto keys = redis::keys_for_room(feed->room_id);
  commands_->execute({"HGET", keys.state, "seq"},
                     [this, feed](boost::system::error_code error, redis::reply answer) {
                       if (!current(feed)) return;
                       if (error) return sync_failed(feed);
                       feed->baseline = integer_of(answer);
                       read_history(feed);
                     });
}

void redis_broker::read_history(const feed_ptr& feed) {
  // First time: from HISTORY_SIZE below the baseline (memory for resumes). After that: what
  // follows the last message delivered, control events included (they are idempotent).
  const std::string from =
      feed->last_id >= 0
          ? entry_after(feed->last_id)
          : redis::history_entry_id(
                std::max<std::int64_t>(1, feed->baseline - static_cast<std::int64_t>(history_size_) + 1));
  const auto keys = redis::keys_for_room(feed->room_id);
  commands_->execute({"XRANGE", keys.history, from, "+"},
                     [this, feed](boost::system::error_code error, redis::reply answer) {
                       if (!current(feed)) return;
                       if (error) return sync_failed(feed);
                       on_history(feed, decode_stream_entries(answer));
                     });
}

void redis_broker::on_history(const feed_ptr& feed, std::vector<room_entry> entries) {
  if (feed->last_id < 0) {
    // Before the baseline: messages fill memory; an old `left` is history (the member may have
    // rejoined since) and is dropped; `closed` stays a fact, delivered whenever it came.
    std::vector<model::message> earlier;
    std::erase_if(entries, [&](room_entry& entry) {
      if (entry.type == room_entry::kind::message && entry.message.id <= feed->baseline) {
        earlier.push_back(std::move(entry.message));
        return true;
      }
      return entry.type == room_entry::kind::left && entry.after_id < feed->baseline;
    });
    sink_.recall(feed->room_id, earlier);
    feed->last_id = feed->baseline;
  }
  auto held = std::move(feed->held);
  feed->held.clear();
  feed->syncing = false;
  deliver(*feed, entries);
  deliver(*feed, held);
}

void redis_broker::sync_failed(const feed_ptr& feed) {
  feed->needs_sync = true;
  arm_retry();
}

void redis_broker::resync_all() {
  if (!commands_->connected() || !subscriber_->connected()) return;
  for (auto& [room_id, feed] : feeds_) sync(feed);
  resend_controls();
}

void redis_broker::resend_controls() {
  auto controls = std::move(failed_controls_);
  failed_controls_.clear();
  for (auto& request : controls) send_control(std::move(request));
}

void redis_broker::arm_retry() {
  if (retry_armed_ || stopping_) return;
  retry_armed_ = true;
  retry_timer_.expires_after(retry_interval);
  retry_timer_.async_wait([this](boost::system::error_code error) {
    retry_armed_ = false;
    if (error) return;
    for (auto& [room_id, feed] : feeds_) {
      if (feed->needs_sync) sync(feed);
    }
    resend_controls();
  });
}

void redis_broker::deliver(room_feed& feed, std::vector<room_entry>& entries) {
  // Consecutive messages go to the sink together; a control event goes in its place.
  std::vector<model::message> run;
  const auto hand_over = [&] {
    if (!run.empty()) sink_.append(feed.room_id, run);
    run.clear();
  };
  for (room_entry& entry : entries) {
    switch (entry.type) {
      case room_entry::kind::message:
        if (entry.message.id <= feed.last_id) break;  // delivered already
        feed.last_id = entry.message.id;
        run.push_back(std::move(entry.message));
        break;
      case room_entry::kind::raw:
        run.push_back(std::move(entry.message));
        break;
      case room_entry::kind::closed:
        hand_over();
        sink_.close(feed.room_id);
        break;
      case room_entry::kind::left:
        hand_over();
        sink_.left(feed.room_id, entry.user_id);
        break;
    }
  }
  hand_over();
}

void redis_broker::on_channel(std::string_view channel, std::string_view payload,
                              std::string_view pattern) {
  if (!pattern.empty()) {
    constexpr std::string_view end_suffix = "_END";
    if (!channel.ends_with(end_suffix)) return;
    const std::string session_id(channel.substr(0, channel.size() - end_suffix.size()));
    if (session_id.empty()) return;
    return send_control({"ended", session_id, {}});
  }
  const std::string_view room_id = room_of_channel(channel);
  // Not one of ours: Chat Sync's raw channel, named by the session id itself.
  const auto found = feeds_.find(room_id.empty() ? channel : room_id);
  if (found == feeds_.end()) return;
  const feed_ptr& feed = found->second;
  if (room_id.empty()) return on_raw(feed, payload);
  auto entries = decode_channel_payload(payload);
  if (!entries) return spdlog::warn("unreadable payload on {}", channel);
  if (entries->empty()) return;
  if (feed->syncing) {
    std::move(entries->begin(), entries->end(), std::back_inserter(feed->held));
    return;
  }
  const auto& first = entries->front();
  if (first.type == room_entry::kind::message && feed->last_id >= 0 &&
      first.message.id > feed->last_id + 1) {
    // Something was missed (a channel message lost on a connection that is already back):
    // read it from history before going on.
    feed->held = std::move(*entries);
    return sync(feed);
  }
  deliver(*feed, *entries);
}

void redis_broker::on_raw(const feed_ptr& feed, std::string_view payload) {
  std::string why;
  auto message = map_raw_payload(feed->room_id, payload, max_message_length_, model::now(), why);
  if (!message) {
    raw_dropped_.fetch_add(1, std::memory_order_relaxed);
    return spdlog::warn("raw payload on {} dropped: {}", feed->room_id, why);
  }
  raw_messages_.fetch_add(1, std::memory_order_relaxed);
  message->id = -++raw_numbered_;
  std::vector<room_entry> entries(1);
  entries.front().type = room_entry::kind::raw;
  entries.front().message = std::move(*message);
  // In the order received: behind the channel entries a sync holds, if one runs.
  if (feed->syncing) {
    feed->held.push_back(std::move(entries.front()));
    return;
  }
  deliver(*feed, entries);
}

void redis_broker::wait_in_flight(std::chrono::steady_clock::time_point deadline,
                                  const std::shared_ptr<std::promise<void>>& quiet) {
  if (commands_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    retry_timer_.expires_after(stop_poll_interval);
    retry_timer_.async_wait([this, deadline, quiet](boost::system::error_code) {
      wait_in_flight(deadline, quiet);
    });
    return;
  }
  retry_timer_.cancel();
  // Nothing reaches the sink after this: no channel, and no feed for a read still in flight
  // (current() is false for all). The command connection stays until close_connections().
  feeds_.clear();
  subscriber_->close();
  quiet->set_value();
}

void redis_broker::stop() {
  if (stopping_.exchange(true) || !thread_.joinable()) return;
  auto quiet = std::make_shared<std::promise<void>>();
  auto stopped = quiet->get_future();
  asio::post(io_, [this, quiet] {
    retry_timer_.cancel();
    wait_in_flight(std::chrono::steady_clock::now() + stop_grace, quiet);
  });
  stopped.wait();
}

void redis_broker::close_connections() {
  stop();
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    commands_->close();
    work_.reset();
  });
  thread_.join();
}

void redis_broker::read_saver_lag(std::function<void(std::optional<std::uint64_t>)> done) {
  // A stopped broker's thread runs nothing more: the answer would never come.
  if (stopping_) return done(std::nullopt);
  redis::read_handoff_lag(commands_, std::move(done));
}

redis::reply redis_broker::query(std::vector<std::string> command) {
  auto answer = std::make_shared<std::promise<redis::reply>>();
  auto result = answer->get_future();
  asio::post(io_, [this, command = std::move(command), answer] {
    const std::vector<std::string_view> args(command.begin(), command.end());
    commands_->execute(args, [answer](boost::system::error_code error, redis::reply reply) {
      if (error) {
        answer->set_exception(std::make_exception_ptr(
            store::store_error("Redis: " + error.message() + " " + reply.text)));
      } else {
        answer->set_value(std::move(reply));
      }
    });
  });
  if (result.wait_for(query_timeout) != std::future_status::ready) {
    throw store::store_error("Redis did not answer a history read in time");
  }
  return result.get();
}

std::vector<model::message> redis_broker::redis_messages(const std::string& room_id,
                                                         std::vector<std::string> range) {
  auto entries = decode_stream_entries(query(std::move(range)));
  auto messages = messages_of(entries);
  for (auto& message : messages) message.room_id = room_id;
  return messages;
}

std::vector<model::message> redis_broker::history_after(const std::string& room_id,
                                                        std::int64_t after_id,
                                                        std::int64_t limit) {
  if (limit <= 0) return {};
  const auto keys = redis::keys_for_room(room_id);
  auto recent = redis_messages(room_id, {"XRANGE", keys.history, entry_after(after_id), "+",
                                         "COUNT", std::to_string(limit + control_entry_slack)});
  if (static_cast<std::int64_t>(recent.size()) > limit) recent.resize(limit);
  if (!recent.empty() && recent.front().id == after_id + 1) return recent;
  // Redis holds nothing after it, or starts later (trimmed below what the saver committed):
  // the store has the beginning, Redis what follows.
  auto found = store_.messages_after(room_id, after_id, limit);
  std::int64_t next = (found.empty() ? after_id : found.back().id) + 1;
  for (auto& message : recent) {
    if (static_cast<std::int64_t>(found.size()) >= limit || message.id > next) break;
    if (message.id < next) continue;
    found.push_back(std::move(message));
    ++next;
  }
  return found;
}

std::vector<model::message> redis_broker::history_before(const std::string& room_id,
                                                         std::int64_t before_id,
                                                         std::int64_t limit) {
  if (limit <= 0 || before_id <= 1) return {};
  const auto keys = redis::keys_for_room(room_id);
  auto recent = redis_messages(room_id, {"XREVRANGE", keys.history, entry_after(before_id), "-",
                                         "COUNT", std::to_string(limit + control_entry_slack)});
  std::reverse(recent.begin(), recent.end());
  if (static_cast<std::int64_t>(recent.size()) > limit) {
    recent.erase(recent.begin(), recent.end() - limit);
  }
  const std::int64_t oldest = recent.empty() ? before_id : recent.front().id;
  if (static_cast<std::int64_t>(recent.size()) == limit || oldest <= 1) return recent;
  // Below what Redis holds, the store has it.
  auto older = store_.messages_before(room_id, oldest, limit - static_cast<std::int64_t>(recent.size()));
  older.insert(older.end(), std::make_move_iterator(recent.begin()), std::make_move_iterator(recent.end()));
  return older;
}

}  // namespace livechat::broker
