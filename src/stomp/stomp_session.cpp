#include "stomp/stomp_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "auth/bearer.hpp"
#include "fanout/room_subscription.hpp"
#include "model/client_error.hpp"
#include "model/text.hpp"
#include "net/websocket/close_code.hpp"
#include "protocol/stomp/frame_encoder.hpp"
#include "protocol/stomp/frame_parser.hpp"
#include "protocol/stomp_destinations.hpp"
#include "stomp/batch_frames.hpp"

namespace livechat::stomp {

namespace asio = boost::asio;

namespace {

constexpr std::string_view server_name = "livechat/0.1.0";
// SPEC 5.1: a WebSocket that has not sent CONNECT this long after the upgrade is closed.
constexpr auto connect_deadline = std::chrono::seconds(10);

// SPEC 5.1's words: the client reconnects with a fresh token.
constexpr std::string_view token_expired_message = "token expired";

std::optional<std::string> receipt_of(const frame& received) {
  if (auto receipt = received.header("receipt")) return std::string(*receipt);
  return std::nullopt;
}

// "Bearer <token>" or the bare token, as section 5.1 allows.
std::string_view token_of(std::string_view authorization) {
  return auth::parse_bearer(authorization).value_or(model::trim_blanks(authorization));
}

std::string describe(const model::client_error& error) {
  return fmt::format("{}: {}", model::error_code(error.errc()), error.what());
}

}  // namespace

// One SUBSCRIBE: a room subscription writing STOMP MESSAGE frames into the session's queue.
class stomp_session::subscription final : public fanout::room_subscription {
 public:
  subscription(stomp_session& session, std::string id, std::string room_id,
               std::optional<std::int64_t> after_id, std::shared_ptr<void> viewer_place,
               bool ended)
      : room_subscription(session.services_.delivery, std::move(room_id), after_id, ended,
                          session.user_id_),
        session_(session),
        id_(std::move(id)),
        frame_key_(make_frame_key(id_, session.version_)),
        viewer_place_(std::move(viewer_place)) {}

  const std::string& id() const { return id_; }

 private:
  bool send_batch(const std::shared_ptr<const fanout::batch>& whole) override {
    auto frames = batch_frames_for(whole, frame_key_);
    const std::string_view bytes = *frames;
    return session_.send_frames(std::move(frames), bytes);
  }

  bool send_messages(std::span<const model::message> messages) override {
    std::string frames;
    for (const auto& message : messages) frames += message_frame_for(message, id_, session_.version_);
    return session_.send_frames(std::move(frames));
  }

  bool send_closed() override {
    return session_.send_frames(closed_frame_for(room_id(), id_, session_.version_));
  }

  bool send_left() override {
    return session_.send_frames(left_frame_for(room_id(), id_, session_.version_));
  }

  fanout::delivery_sink& sink() override { return session_; }

  net::output_queue& output() override { return session_.queue(); }

  void on_too_slow() override {
    // Deferred: this may run while the fan-out iterates over listeners.
    asio::post(session_.executor(), [session = session_.self()] { session->close_now(); });
  }

  stomp_session& session_;
  std::string id_;
  frame_key frame_key_;  // the id as rendered into shared batch frames, made once
  std::shared_ptr<void> viewer_place_;  // a session's viewer limit, given back with it
};

stomp_session::stomp_session(asio::ip::tcp::socket&& socket, stomp_services& services,
                             std::size_t thread_index, std::shared_ptr<void> held_place)
    : websocket_connection(std::move(socket), services.delivery.output_limit_bytes,
                           services.max_frame_bytes),
      services_(services),
      counted_(services.delivery),
      thread_index_(thread_index),
      held_place_(std::move(held_place)) {
  services_.delivery.thread_fanouts[thread_index_]->track(*this);
}

stomp_session::~stomp_session() {
  for (auto& each : subscriptions_) each->stop();
}

std::shared_ptr<stomp_session> stomp_session::self() {
  return std::static_pointer_cast<stomp_session>(shared_from_this());
}

void stomp_session::shut_down() { fail("server shutting down"); }

void stomp_session::on_message(std::string&& payload) {
  std::vector<frame> frames;
  parse_limits limits;
  limits.max_frame_bytes = services_.max_frame_bytes;
  limits.max_body_bytes = services_.max_frame_bytes;
  const parse_result result = parse_frames(payload, frames, limits, version_);
  for (auto& each : frames) pending_frames_.push_back(std::move(each));
  handle_next_frames();
  if (!result.ok() && !closing()) {
    // Frames before the bad one were whole and are handled first (or wait their turn).
    if (waiting_for_worker_) {
      drop_pending_frames();
    }
    send_frame(encode_error(result.message, result.receipt, "", version_));
    close_after_writes(net::websocket::close_code::protocol_error, "malformed STOMP frame");
  }
}

void stomp_session::drop_pending_frames() {
  std::vector<frame>().swap(pending_frames_);  // an idle connection keeps no capacity
  next_pending_ = 0;
}

void stomp_session::handle_next_frames() {
  while (!waiting_for_worker_ && !closing() && next_pending_ < pending_frames_.size()) {
    frame next = std::move(pending_frames_[next_pending_++]);
    handle(std::move(next));
  }
  if (next_pending_ >= pending_frames_.size()) drop_pending_frames();
  if (waiting_for_worker_) {
    pause_reading();
  } else if (!closing()) {
    resume_reading();
  }
}

void stomp_session::handle(frame&& received) {
  if (!connected_) {
    if (received.verb == command::connect || received.verb == command::stomp) {
      return handle_connect(received);
    }
    return fail("the first frame must be CONNECT", &received);
  }
  switch (received.verb) {
    case command::subscribe: return handle_subscribe(received);
    case command::unsubscribe: return handle_unsubscribe(received);
    case command::send: return handle_send(std::move(received));
    case command::ack:
    case command::nack: return acknowledge(received);  // ack mode auto: nothing to do
    case command::disconnect:
      acknowledge(received);
      return close_after_writes(net::websocket::close_code::normal, "");
    case command::connect:
    case command::stomp: return fail("already connected", &received);
    case command::begin:
    case command::commit:
    case command::abort: return fail("transactions are not supported", &received);
    default: return fail("unknown command", &received);
  }
}

void stomp_session::handle_connect(const frame& received) {
  const auto version = negotiate_version(received.header("accept-version"));
  if (!version) return fail("unsupported STOMP version; this server speaks 1.2, 1.1 and 1.0", &received);
  version_ = *version;

  heart_beat_offer client_offer;
  if (const auto header = received.header("heart-beat")) {
    const auto parsed = parse_heart_beat(*header);
    if (!parsed) return fail("malformed heart-beat header", &received);
    client_offer = *parsed;
  }
  auto authorization = received.header("Authorization");
  if (!authorization) authorization = received.header("authorization");
  if (authorization) {
    try {
      auto grant = services_.users.authorize(token_of(*authorization));
      user_id_ = std::move(grant.user_id);
      token_expires_at_ = grant.expires_at;
    } catch (const model::client_error&) {
      return fail("the access token is expired or not valid", &received);
    }
  }
  heart_beat_ = negotiate_heart_beat(client_offer, services_.server_heart_beat);
  connected_ = true;

  frame connected{command::connected,
                  {{"version", std::string(to_string(version_))},
                   {"heart-beat", to_header_value(services_.server_heart_beat)},
                   {"server", std::string(server_name)}},
                  {}};
  if (!user_id_.empty()) connected.headers.push_back({"user-name", user_id_});
  send_frame(encode(connected, version_));
}

void stomp_session::handle_subscribe(const frame& received) {
  const auto id = received.header("id");
  const auto destination = received.header("destination");
  if (!id || id->empty()) return fail("SUBSCRIBE needs an id header", &received);
  if (!destination) return fail("SUBSCRIBE needs a destination header", &received);
  if (token_expired()) return fail(token_expired_message, &received);
  auto room_id = protocol::parse_subscribe_destination(*destination);
  if (!room_id) return fail("unknown destination; subscribe to /chat/{roomId}", &received);
  const bool id_taken = std::any_of(subscriptions_.begin(), subscriptions_.end(),
                                    [&](const auto& each) { return each->id() == *id; });
  if (id_taken) return fail("this subscription id is already in use", &received);
  if (subscriptions_.size() >= services_.max_subscriptions) {
    return fail(fmt::format("a connection may hold at most {} subscriptions "
                            "(MAX_SUBSCRIPTIONS_PER_CONNECTION)",
                            services_.max_subscriptions),
                &received);
  }
  std::optional<std::int64_t> after_id;
  if (const auto since = received.header("x-since-id")) {
    std::int64_t value = -1;
    const auto [end, error] = std::from_chars(since->data(), since->data() + since->size(), value);
    if (error != std::errc{} || end != since->data() + since->size() || value < 0) {
      return fail("x-since-id must be a whole number", &received);
    }
    after_id = value;
  }
  // A chat room is for its members; a live-stream session is for anyone, within its limit.
  struct decision {
    sessions::destination_kind kind = sessions::destination_kind::session;
    std::shared_ptr<void> viewer_place;
  };
  auto decided = std::make_shared<decision>();
  on_worker(
      receipt_of(received),
      [this, room = *room_id, decided] {
        decided->kind = services_.sessions.kind_of(room);
        if (decided->kind == sessions::destination_kind::chat_room) {
          if (user_id_.empty()) {
            throw model::client_error(model::client_errc::unauthorized,
                                      "sign in (CONNECT with a token) to read a chat room");
          }
          services_.messages.check_reader(room, user_id_);
        } else if (decided->kind == sessions::destination_kind::session) {
          auto place = services_.limits.admit_viewer(room);
          if (place.held()) {
            decided->viewer_place =
                std::make_shared<sessions::stream_limits::ticket>(std::move(place));
          }
        }
      },
      [this, id = std::string(*id), room = *room_id, after_id, receipt = receipt_of(received),
       decided] {
        if (receipt) send_frame(encode_receipt(*receipt, version_));
        // An ended session: what the client missed (after x-since-id), then `closed`.
        auto added = std::make_shared<subscription>(
            *this, id, room, after_id, std::move(decided->viewer_place),
            decided->kind == sessions::destination_kind::ended_session);
        subscriptions_.push_back(added);
        added->start(thread_index_, executor());
      });
}

void stomp_session::handle_unsubscribe(const frame& received) {
  const auto id = received.header("id");
  if (!id) return fail("UNSUBSCRIBE needs an id header", &received);
  const auto found = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                                  [&](const auto& each) { return each->id() == *id; });
  if (found != subscriptions_.end()) {
    (*found)->stop();
    subscriptions_.erase(found);
  }
  acknowledge(received);
}

void stomp_session::handle_send(frame&& received) {
  const auto destination = received.header("destination");
  if (!destination) return fail("SEND needs a destination header", &received);
  auto room_id = protocol::parse_send_destination(*destination);
  if (!room_id) return fail("unknown destination; send to /queue/message/{roomId}", &received);
  if (user_id_.empty()) return fail("sign in (CONNECT with a token) to send", &received);
  if (token_expired()) return fail(token_expired_message, &received);
  boost::system::error_code error;
  const auto body = boost::json::parse(received.body, error);
  const boost::json::string* contents = nullptr;
  if (!error && body.is_object()) {
    if (const auto* value = body.as_object().if_contains("contents")) contents = value->if_string();
  }
  if (contents == nullptr) return fail("the body must be JSON {\"contents\": \"…\"}", &received);

  const auto receipt = receipt_of(received);
  on_worker(
      receipt,
      [this, room = *room_id, text = std::string(*contents), receipt] {
        services_.messages.send(
            room, user_id_, text,
            [weak = std::weak_ptr(self()), receipt, executor = executor()](rooms::send_outcome outcome) {
              asio::post(executor, [weak, receipt, outcome = std::move(outcome)] {
                const auto session = weak.lock();
                if (!session || session->closing()) return;
                if (!outcome.kept) {
                  return session->fail(fmt::format("{}: {}", model::error_code(outcome.error),
                                                   outcome.error_message),
                                       receipt);
                }
                if (receipt) session->send_frame(encode_receipt(*receipt, session->version_));
              });
            });
      },
      [] {});
}

bool stomp_session::token_expired() const {
  return !user_id_.empty() && model::now() >= token_expires_at_;
}

void stomp_session::acknowledge(const frame& received) {
  if (auto receipt = received.header("receipt")) send_frame(encode_receipt(*receipt, version_));
}

void stomp_session::on_worker(std::optional<std::string> receipt, std::function<void()> work,
                              std::function<void()> then) {
  waiting_for_worker_ = true;
  // A strong reference: with reading paused and nothing to write, this job is all that keeps
  // the session alive until the answer comes back.
  asio::post(services_.delivery.workers, [session = self(), work = std::move(work),
                                          then = std::move(then), receipt = std::move(receipt),
                                          executor = executor()]() mutable {
    std::optional<std::string> failure;
    try {
      work();
    } catch (const model::client_error& error) {
      failure = describe(error);
    } catch (const std::exception& error) {
      spdlog::error("STOMP request failed: {}", error.what());
      failure = "INTERNAL: internal error";
    }
    // The reference moves on with the answer, so that the last one is dropped on the session's
    // own I/O thread: its destructor unlinks it from that thread's lists (a copy kept here and
    // released on the worker was a data race with the thread's housekeeping, found by TSan).
    asio::post(executor, [session = std::move(session), then = std::move(then),
                          failure = std::move(failure), receipt = std::move(receipt)] {
      if (session->closing()) return;
      session->waiting_for_worker_ = false;
      if (failure) return session->fail(*failure, receipt);
      then();
      session->handle_next_frames();
    });
  });
}

void stomp_session::send_frame(std::string_view encoded) {
  if (!send_text(encoded)) return close_now();
  flush_deliveries();
}

void stomp_session::fail(std::string_view message, const frame* cause) {
  fail(message, cause != nullptr ? receipt_of(*cause) : std::nullopt);
}

void stomp_session::fail(std::string_view message, const std::optional<std::string>& receipt) {
  if (closing()) return;
  drop_pending_frames();
  send_frame(encode_error(message, receipt, "", version_));
  close_after_writes(net::websocket::close_code::normal, "");
}

// Heart-beats ride on the thread's quarter-second sweep instead of a timer per connection: a
// heart-beat leaves at most 250 ms after it is due, well within the factor of two that
// clients (and SPEC 5.1) allow.
void stomp_session::on_housekeeping(std::chrono::steady_clock::time_point now) {
  release_spare_capacity(now);
  if (closed()) return;
  // Deferred closes: the sweep is iterating over this thread's connections.
  if (write_stalled(now)) {
    spdlog::debug("STOMP client read nothing for {} s; disconnecting", write_deadline.count());
    asio::post(executor(), [session = self()] { session->close_now(); });
    return;
  }
  if (!connected_ && !closing() && now - opened_at_ >= connect_deadline) {
    asio::post(executor(), [session = self()] {
      session->close_after_writes(net::websocket::close_code::policy_violation,
                                  "no CONNECT within 10 s");
    });
    return;
  }
  if (closing() || !connected_) return;
  const auto expect_every = heart_beat_.client_sends_every;
  // SPEC 5.1: a client silent for twice its interval is disconnected.
  if (expect_every.count() > 0 && now - last_received() >= 2 * expect_every) {
    spdlog::debug("STOMP client silent for twice its heart-beat; disconnecting");
    asio::post(executor(), [session = self()] { session->close_now(); });
    return;
  }
  const auto send_every = heart_beat_.server_sends_every;
  if (send_every.count() > 0 && now - last_sent() >= send_every) send_frame(heart_beat());
}

void stomp_session::on_output_drained() {
  if (closing()) return;
  // A copy: a replay going on may give up and close, which clears the list.
  const auto subscriptions = subscriptions_;
  for (const auto& each : subscriptions) each->on_output_drained();
}

bool stomp_session::waits_for_drain() const {
  return std::any_of(subscriptions_.begin(), subscriptions_.end(),
                     [](const auto& each) { return each->waits_for_drain(); });
}

void stomp_session::on_closing() {
  for (auto& each : subscriptions_) each->stop();
  subscriptions_.clear();
  drop_pending_frames();
}

}  // namespace livechat::stomp
