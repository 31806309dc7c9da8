#include "sse/sse_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <array>

#include "net/long_lived_handler.hpp"
#include "protocol/message_json.hpp"
#include "protocol/sse_encoder.hpp"

namespace livechat::sse {

namespace asio = boost::asio;

namespace {

// What an SSE client sends is read here, by every stream of the I/O thread in turn.
constexpr std::size_t watch_buffer_bytes = 4096;
thread_local std::array<char, watch_buffer_bytes> thread_watch_buffer;

}  // namespace

// The subscription, writing SSE into the session's queue.
class sse_session::room_stream final : public fanout::room_subscription {
 public:
  room_stream(sse_session& session, fanout::delivery_services& services, std::string room_id,
              std::optional<std::int64_t> after_id, bool ended, std::string member)
      : room_subscription(services, std::move(room_id), after_id, ended, std::move(member)),
        session_(session) {}

 private:
  bool send_batch(const std::shared_ptr<const fanout::batch>& whole) override {
    if (whole->closes_room) session_.end_after_queued_writes();
    return session_.queue().push_shared(whole, whole->sse_events);
  }

  bool send_messages(std::span<const model::message> messages) override {
    std::vector<std::string> json;
    json.reserve(messages.size());
    std::int64_t last_id = 0;  // the event's id: its last message with one (raw ones have none)
    for (const auto& message : messages) {
      json.push_back(boost::json::serialize(protocol::message_to_json(message)));
      if (!message.is_raw()) last_id = message.id;
    }
    return session_.queue().push_owned(encode_messages_event(last_id, json));
  }

  bool send_closed() override {
    session_.end_after_queued_writes();
    return session_.queue().push_owned(encode_closed_event(room_id()));
  }

  bool send_left() override {
    session_.end_after_queued_writes();
    return session_.queue().push_owned(encode_left_event(room_id()));
  }

  fanout::delivery_sink& sink() override { return session_; }

  net::output_queue& output() override { return session_.queue(); }

  void on_too_slow() override { session_.fail_too_slow(); }

  sse_session& session_;
};

sse_session::sse_session(boost::beast::tcp_stream&& stream, fanout::delivery_services& services,
                         stream_options options)
    : streaming_connection(stream.release_socket(), services.output_limit_bytes),
      services_(services),
      counted_(services),
      options_(std::move(options)) {}

sse_session::~sse_session() {
  if (subscription_) subscription_->stop();
}

void sse_session::start(std::size_t thread_index) {
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "Connection: close\r\n"
      "X-Accel-Buffering: no\r\n";  // tells nginx not to buffer the stream
  if (!options_.allow_origin.empty()) {
    head += "Access-Control-Allow-Origin: " + options_.allow_origin + "\r\n";
    if (options_.allow_origin != "*") head += "Vary: Origin\r\n";
  }
  head += "\r\n";
  head += stream_preamble();
  (void)queue().push_owned(std::move(head));

  services_.thread_fanouts[thread_index]->track(*this);
  // For an ended session the subscription replays what the client missed (if it says what it
  // has seen), then `closed` (SPEC sections 5 and 6).
  subscription_ = std::make_shared<room_stream>(*this, services_, options_.room_id,
                                                options_.after_id, options_.ended,
                                                options_.member);
  subscription_->start(thread_index, socket().get_executor());
  boost::system::error_code ignored;
  socket().non_blocking(true, ignored);  // the close-watch reads only when readable
  flush();
  do_watch_for_close();
}

void sse_session::shut_down() {
  // The stream ends cleanly once what is queued is written: the client reconnects elsewhere
  // (or later) with Last-Event-ID.
  if (closed()) return;
  if (subscription_) subscription_->stop();
  end_after_writes();
}

void sse_session::on_output_drained() {
  if (subscription_) subscription_->on_output_drained();
}

bool sse_session::waits_for_drain() const {
  return subscription_ && subscription_->waits_for_drain();
}

void sse_session::do_watch_for_close() {
  // SSE clients send nothing after the request: the socket turns readable only when they go
  // away, or when they send what they must not (SPEC 5.2: a client that sends bytes up the
  // stream is closed). Either way one read ends it, so a client streaming junk costs one
  // wake-up, not one per byte; an idle stream holds no read buffer.
  socket().async_wait(asio::ip::tcp::socket::wait_read,
                      net::long_lived([self = shared_from_this(),
                                       this](const boost::system::error_code& error) {
                        if (closed()) return;
                        if (error) return close_now();
                        boost::system::error_code read_error;
                        const std::size_t bytes =
                            socket().read_some(asio::buffer(thread_watch_buffer), read_error);
                        if (read_error == asio::error::would_block) return do_watch_for_close();
                        if (!read_error && bytes > 0) {
                          spdlog::debug("SSE client of {} sent {} bytes up the stream; closing",
                                        options_.room_id, bytes);
                        }
                        close_now();
                      }));
}

// Called by the thread's sweep every quarter second (see delivery_sink).
void sse_session::on_housekeeping(std::chrono::steady_clock::time_point now) {
  if (closed()) return;
  if (write_stalled(now)) {
    spdlog::debug("SSE client of {} read nothing for {} s; disconnecting", options_.room_id,
                  write_deadline.count());
    // Deferred: the sweep is iterating over this thread's connections.
    asio::post(socket().get_executor(), [self = shared_from_this()] { self->close_now(); });
    return;
  }
  if (ending()) return;
  if (now - last_sent() >= options_.keep_alive_interval) {
    if (!queue().push_owned(std::string(keep_alive_comment()))) return fail_too_slow();
    flush();
  } else {
    release_spare_capacity(now);
  }
}

void sse_session::fail_too_slow() {
  spdlog::debug("SSE subscriber of {} too slow; disconnecting", options_.room_id);
  // Deferred: this may run while the fan-out is iterating over listeners.
  asio::post(socket().get_executor(), [self = shared_from_this()] { self->close_now(); });
}

// The stream closes (either side, or a failed write): the subscription stops.
void sse_session::on_close() {
  if (subscription_) subscription_->stop();
}

}  // namespace livechat::sse
