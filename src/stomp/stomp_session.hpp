#pragma once
// One STOMP 1.2 (1.1, 1.0) connection over WebSocket (SPEC.md section 5.1): CONNECT with a
// token or anonymous, SUBSCRIBE with `x-since-id` replay, UNSUBSCRIBE, SEND with RECEIPT once
// the message is kept, heart-beats both ways, DISCONNECT, and ERROR-then-close for anything
// wrong.
//
// Frames are handled one at a time, in order: while one waits for a worker (a membership
// check, a publish), reading pauses, so a client cannot queue work without bound.


#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/user_service.hpp"
#include "fanout/delivery_services.hpp"
#include "fanout/listener.hpp"
#include "metrics/metrics.hpp"
#include "net/websocket_connection.hpp"
#include "protocol/stomp/frame.hpp"
#include "protocol/stomp/heart_beat.hpp"
#include "protocol/stomp/protocol_version.hpp"
#include "rooms/message_service.hpp"
#include "sessions/session_service.hpp"
#include "sessions/stream_limits.hpp"

namespace livechat::stomp {

/// What every STOMP connection of a server shares.
struct stomp_services {
  const auth::user_service& users;
  rooms::message_service& messages;
  sessions::session_service& sessions;
  sessions::stream_limits& limits;
  fanout::delivery_services& delivery;
  std::size_t max_frame_bytes = 64 * 1024;  // the WebSocket message limit
  std::size_t max_subscriptions = 100;        // MAX_SUBSCRIPTIONS_PER_CONNECTION
  heart_beat_offer server_heart_beat{std::chrono::milliseconds(1000),
                                     std::chrono::milliseconds(1000)};
};

class stomp_session final : public net::websocket_connection, public fanout::delivery_sink {
 public:
  /// `held_place`: the connection's places under MAX_STREAMS and MAX_STREAMS_PER_IP, given
  /// back with it.
  stomp_session(boost::asio::ip::tcp::socket&& socket, stomp_services& services,
                std::size_t thread_index, std::shared_ptr<void> held_place);
  ~stomp_session() override;

  void flush_deliveries() override { flush(); }

  /// Ends the connection for a server shutdown: ERROR "server shutting down", then close.
  void shut_down() override;

 private:
  class subscription;

  void on_message(std::string&& payload) override;
  void on_closing() override;
  void on_output_drained() override;
  bool waits_for_drain() const override;
  void on_housekeeping(std::chrono::steady_clock::time_point now) override;

  void handle_next_frames();
  void drop_pending_frames();
  void handle(frame&& received);
  void handle_connect(const frame& received);
  void handle_subscribe(const frame& received);
  void handle_unsubscribe(const frame& received);
  void handle_send(frame&& received);
  void acknowledge(const frame& received);
  // A signed-in connection whose access token has reached its `exp`.
  bool token_expired() const;

  /// Runs `work` on a worker for the frame whose receipt header was `receipt`; its result (an
  /// error, sent as ERROR with that receipt-id, or nothing) comes back to this thread, where
  /// `then` runs unless the connection closed meanwhile. Reading pauses until then.
  void on_worker(std::optional<std::string> receipt, std::function<void()> work,
                 std::function<void()> then);

  void send_frame(std::string_view encoded);
  void fail(std::string_view message, const frame* cause = nullptr);
  void fail(std::string_view message, const std::optional<std::string>& receipt);
  std::shared_ptr<stomp_session> self();

  stomp_services& services_;
  fanout::open_stream_count counted_;
  metrics::gauge_hold counted_connection_{metrics::counters().stomp_connections};
  const std::size_t thread_index_;
  std::shared_ptr<void> held_place_;
  const std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
  bool connected_ = false;
  protocol_version version_ = protocol_version::v1_2;
  std::string user_id_;  // empty for an anonymous connection
  model::timestamp token_expires_at_{};  // signed in: SEND and SUBSCRIBE are refused from then
  heart_beat_intervals heart_beat_;
  // Frames received and not yet handled, from next_pending_ on. A vector, not a deque: an
  // empty std::deque still holds a 512-byte block, on every idle connection.
  std::vector<frame> pending_frames_;
  std::size_t next_pending_ = 0;
  bool waiting_for_worker_ = false;
  std::vector<std::shared_ptr<subscription>> subscriptions_;
};

}  // namespace livechat::stomp
