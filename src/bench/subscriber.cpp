#include "bench/subscriber.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <bit>

#include "bench/bench_clock.hpp"
#include "bench/delivery_marker.hpp"
#include "bench/http_response_head.hpp"
#include "bench/websocket_client_frames.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::size_t read_buffer_bytes = 256 * 1024;
constexpr std::uint64_t max_frame_payload = 16 * 1024 * 1024;
constexpr int reads_per_turn = 4;

// Any 16 bytes in base64 will do as the key: the bench does not check the server's answer
// beyond its status, and a load generator gains nothing from a fresh one per connection.
constexpr std::string_view websocket_key = "bGl2ZWNoYXQtYmVuY2gtMQ==";

std::string websocket_upgrade(const bench_options& options, const server_address& server,
                              std::string_view subprotocols) {
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n",
      options.subscriber_target(), server.host, server.port, websocket_key);
  if (!subprotocols.empty()) request += fmt::format("Sec-WebSocket-Protocol: {}\r\n", subprotocols);
  request += "\r\n";
  return request;
}

std::string sse_request(const bench_options& options, const server_address& server) {
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n",
      options.subscriber_target(), server.host, server.port);
  if (!options.token.empty()) request += fmt::format("Authorization: Bearer {}\r\n", options.token);
  request += "\r\n";
  return request;
}

std::string stomp_frame_bytes(std::string_view frame) {
  std::string bytes;
  append_client_frame(bytes, opcode::text, frame);
  return bytes;
}

std::string_view first_line(std::string_view frame) {
  return frame.substr(0, std::min(frame.find('\n'), frame.size()));
}

// The value of header `name` in a STOMP frame's head, or "" when absent.
std::string_view stomp_header(std::string_view frame, std::string_view name) {
  const auto head_end = std::min(frame.find("\n\n"), frame.size());
  std::string_view head = frame.substr(0, head_end);
  while (!head.empty()) {
    const auto line_end = std::min(head.find('\n'), head.size());
    const auto line = head.substr(0, line_end);
    head.remove_prefix(std::min(line_end + 1, head.size()));
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      return line.substr(name.size() + 1);
    }
  }
  return {};
}

}  // namespace

subscriber_plan make_subscriber_plan(const bench_options& options) {
  subscriber_plan plan;
  plan.protocol = options.protocol;
  for (const auto& server : options.servers) {
    std::string handshake;
    switch (options.protocol) {
      case subscriber_protocol::sse: handshake = sse_request(options, server); break;
      case subscriber_protocol::stomp:
        handshake = websocket_upgrade(options, server, "v12.stomp");
        break;
      case subscriber_protocol::websocket:
      case subscriber_protocol::socketio:
        handshake = websocket_upgrade(options, server, "");
        break;
    }
    plan.servers.push_back(
        {tcp::endpoint(asio::ip::make_address_v4(server.host), server.port), std::move(handshake)});
  }
  std::size_t sources = options.source_addresses;
  if (sources == 0) sources = std::max<std::size_t>(1, (options.connections + 19999) / 20000);
  for (std::size_t i = 0; i < sources; ++i) {
    plan.sources.push_back(asio::ip::address_v4(0x7F000002U + static_cast<std::uint32_t>(i)));
  }
  plan.messages = options.messages;
  plan.connect_timeout = options.connect_timeout;
  if (options.protocol == subscriber_protocol::stomp) {
    std::string connect = "CONNECT\naccept-version:1.2\nhost:" + options.host +
                          "\nheart-beat:0,0\n";
    if (!options.token.empty()) connect += "Authorization:Bearer " + options.token + "\n";
    connect += std::string("\n") + '\0';
    plan.stomp_connect = stomp_frame_bytes(connect);
    plan.stomp_subscribe = stomp_frame_bytes(
        "SUBSCRIBE\nid:sub-0\ndestination:/chat/" + options.room + "\nreceipt:subscribed\n\n" +
        '\0');
  }
  return plan;
}

subscriber_thread::subscriber_thread(asio::io_context& io, const subscriber_plan& plan)
    : io(io), plan(plan), read_buffer(read_buffer_bytes) {}

subscriber::subscriber(subscriber_thread& thread, std::size_t index)
    : thread_(thread), socket_(thread.io), index_(index) {
  seen_.resize((thread.plan.messages + 63) / 64);
}

void subscriber::start(void (*on_resolved)(void*), void* context) {
  on_resolved_ = on_resolved;
  resolved_context_ = context;
  started_us_ = now_microseconds();
  const auto& plan = thread_.plan;
  const auto& server = plan.servers[index_ % plan.servers.size()];
  const auto source = plan.sources[(index_ / plan.servers.size()) % plan.sources.size()];

  boost::system::error_code error;
  socket_.open(tcp::v4(), error);
  if (error) {
    if (error == boost::system::errc::too_many_files_open ||
        error == boost::system::errc::too_many_files_open_in_system) {
      thread_.tally.limit = "open descriptors (RLIMIT_NOFILE)";
    }
    return fail(fmt::format("socket: {}", error.message()));
  }
  // Leave the port to connect(), which only needs the 4-tuple to be unique: each source
  // address then offers the whole ephemeral range to every server port.
  const int yes = 1;
  ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &yes, sizeof yes);
  socket_.bind(tcp::endpoint(source, 0), error);
  if (error) return fail(fmt::format("bind {}: {}", source.to_string(), error.message()));
  socket_.non_blocking(true, error);
  socket_.async_connect(server.endpoint, [this, &server](const boost::system::error_code& connect_error) {
    if (stage_ != stage::connecting) return;  // timed out meanwhile
    if (connect_error) {
      if (connect_error == boost::system::errc::address_not_available) {
        thread_.tally.limit = "ephemeral ports (add --source-addresses)";
      }
      return fail(fmt::format("connect: {}", connect_error.message()));
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    stage_ = stage::awaiting_head;
    send(server.handshake);
    wait_readable();
  });
}

void subscriber::check_timeout(std::int64_t now_us) {
  if (resolved_ || stage_ == stage::failed) return;
  const auto limit_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            thread_.plan.connect_timeout)
                            .count();
  if (now_us - started_us_ > limit_us) fail("timed out before subscribing");
}

std::uint64_t subscriber::received_of(const std::vector<std::uint64_t>& acked) const {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < seen_.size() && i < acked.size(); ++i) {
    count += static_cast<std::uint64_t>(std::popcount(seen_[i] & acked[i]));
  }
  return count;
}

void subscriber::wait_readable() {
  socket_.async_wait(tcp::socket::wait_read, [this](const boost::system::error_code& error) {
    if (stage_ == stage::failed || stage_ == stage::closed) return;
    if (error) return fail(fmt::format("wait: {}", error.message()));
    read_available();
  });
}

void subscriber::read_available() {
  auto& buffer = thread_.read_buffer;
  for (int turn = 0; turn < reads_per_turn; ++turn) {
    boost::system::error_code error;
    const std::size_t size = socket_.read_some(asio::buffer(buffer), error);
    if (error == asio::error::would_block || error == asio::error::try_again) break;
    if (error || size == 0) {
      return fail(error ? fmt::format("read: {}", error.message()) : "closed by the server");
    }
    on_bytes(std::string_view(buffer.data(), size), now_microseconds());
    if (stage_ == stage::failed || stage_ == stage::closed) return;
    if (size < buffer.size()) break;  // drained: the next read would block
  }
  wait_readable();
}

void subscriber::on_bytes(std::string_view bytes, std::int64_t now_us) {
  if (pending_.empty()) {
    const std::size_t used = consume(bytes, now_us);
    if (used < bytes.size() && stage_ != stage::failed && stage_ != stage::closed) {
      pending_.assign(bytes.substr(used));
    }
    return;
  }
  pending_.append(bytes);
  const std::size_t used = consume(pending_, now_us);
  pending_.erase(0, used);
  if (pending_.empty()) pending_.shrink_to_fit();  // an idle subscriber keeps no buffer
}

std::size_t subscriber::consume(std::string_view bytes, std::int64_t now_us) {
  std::size_t used = 0;
  if (stage_ == stage::awaiting_head) {
    const auto result = parse_response_head(bytes);
    if (std::holds_alternative<head_incomplete>(result)) return 0;
    if (const auto* malformed = std::get_if<head_malformed>(&result)) {
      fail(malformed->reason);
      return bytes.size();
    }
    const auto& head = std::get<http_response_head>(result);
    const bool websocket = thread_.plan.protocol != subscriber_protocol::sse;
    const int expected = websocket ? 101 : 200;
    if (head.status != expected) {
      fail(fmt::format("HTTP {} (expected {})", head.status, expected));
      return bytes.size();
    }
    used = head.size;
    chunked_ = head.chunked;
    if (chunked_) decoder_ = std::make_unique<chunked_decoder>();
    switch (thread_.plan.protocol) {
      case subscriber_protocol::sse:
      case subscriber_protocol::websocket: become_live(now_us); break;
      case subscriber_protocol::stomp:
        stage_ = stage::awaiting_stomp_connected;
        send(thread_.plan.stomp_connect);
        break;
      case subscriber_protocol::socketio: stage_ = stage::awaiting_socketio_open; break;
    }
  }
  const auto rest = bytes.substr(used);
  if (thread_.plan.protocol == subscriber_protocol::sse) return used + consume_sse(rest, now_us);
  return used + consume_websocket(rest, now_us);
}

// Markers never hold a line break, so everything up to the last one can be scanned now.
std::size_t subscriber::consume_sse(std::string_view bytes, std::int64_t now_us) {
  if (!chunked_) {
    const auto last_line_end = bytes.rfind('\n');
    if (last_line_end == std::string_view::npos) return 0;
    on_deliveries(bytes.substr(0, last_line_end + 1), now_us);
    return last_line_end + 1;
  }
  if (!decoder_->decode(bytes, text_)) {
    fail("broken chunked coding");
    return bytes.size();
  }
  const auto last_line_end = text_.rfind('\n');
  if (last_line_end != std::string::npos) {
    on_deliveries(std::string_view(text_).substr(0, last_line_end + 1), now_us);
    text_.erase(0, last_line_end + 1);
  }
  if (decoder_->finished()) {
    stage_ = stage::closed;
    ++thread_.tally.dropped;
  }
  return bytes.size();
}

std::size_t subscriber::consume_websocket(std::string_view bytes, std::int64_t now_us) {
  std::size_t used = 0;
  while (used < bytes.size() && stage_ != stage::failed && stage_ != stage::closed) {
    const auto result = read_server_frame(bytes.substr(used), max_frame_payload);
    if (std::holds_alternative<frame_incomplete>(result)) break;
    if (const auto* malformed = std::get_if<frame_malformed>(&result)) {
      fail(malformed->reason);
      return bytes.size();
    }
    const auto& frame = std::get<server_frame>(result);
    used += frame.size;
    switch (frame.op) {
      case opcode::ping: send_frame(opcode::pong, frame.payload); break;
      case opcode::pong: break;
      case opcode::close: fail("WebSocket closed by the server"); break;
      case opcode::text:
      case opcode::binary:
      case opcode::continuation:
        if (frame.fin && fragments_.empty()) {
          on_websocket_message(frame.payload, now_us);
        } else {
          fragments_.append(frame.payload);
          if (frame.fin) {
            on_websocket_message(fragments_, now_us);
            fragments_.clear();
          }
        }
        break;
      default: fail("unknown WebSocket opcode"); break;
    }
  }
  return used;
}

void subscriber::on_websocket_message(std::string_view payload, std::int64_t now_us) {
  switch (thread_.plan.protocol) {
    case subscriber_protocol::stomp: return on_stomp_frame(payload, now_us);
    case subscriber_protocol::socketio: return on_socketio_packet(payload, now_us);
    case subscriber_protocol::websocket:
    case subscriber_protocol::sse: return on_deliveries(payload, now_us);
  }
}

void subscriber::on_stomp_frame(std::string_view frame, std::int64_t now_us) {
  const auto command = first_line(frame);
  if (command.empty()) return;  // a heart-beat
  if (command == "MESSAGE") return on_deliveries(frame, now_us);
  if (command == "ERROR") {
    return fail(fmt::format("STOMP ERROR: {}", stomp_header(frame, "message")));
  }
  if (stage_ == stage::awaiting_stomp_connected && command == "CONNECTED") {
    stage_ = stage::awaiting_stomp_receipt;
    send(thread_.plan.stomp_subscribe);
  } else if (stage_ == stage::awaiting_stomp_receipt && command == "RECEIPT") {
    become_live(now_us);
  }
}

// Engine.IO v4 packets: 0 open, 2 ping, 4 message; a Socket.IO packet inside a message: 0
// connect, 2 event, 4 connect error.
void subscriber::on_socketio_packet(std::string_view packet, std::int64_t now_us) {
  if (packet.empty()) return;
  switch (packet[0]) {
    case '0':
      if (stage_ == stage::awaiting_socketio_open) {
        stage_ = stage::awaiting_socketio_connect;
        send_frame(opcode::text, "40");
      }
      return;
    case '1': return fail("Socket.IO closed by the server");
    case '2': return send_frame(opcode::text, "3");
    case '4':
      if (packet.starts_with("42")) return on_deliveries(packet, now_us);
      if (packet.starts_with("40") && stage_ == stage::awaiting_socketio_connect) {
        return become_live(now_us);
      }
      if (packet.starts_with("44")) return fail("Socket.IO refused the connection");
      return;
    default: return;
  }
}

void subscriber::on_deliveries(std::string_view bytes, std::int64_t now_us) {
  auto& tally = thread_.tally;
  const std::size_t messages = thread_.plan.messages;
  scan_markers(bytes, [&](std::uint64_t sequence, std::int64_t sent_us) {
    if (sequence >= messages) {
      ++tally.unexpected;
      return;
    }
    auto& word = seen_[sequence / 64];
    const std::uint64_t bit = std::uint64_t{1} << (sequence % 64);
    if ((word & bit) != 0) {
      ++tally.duplicate;
      return;
    }
    word |= bit;
    ++tally.received;
    tally.latency.record(now_us - sent_us);
    if (tally.first_delivery_us == 0) tally.first_delivery_us = now_us;
    tally.last_delivery_us = now_us;
  });
}

void subscriber::send(std::string bytes) {
  if (writing_) {
    outbox_ += bytes;
    return;
  }
  writing_ = true;
  writing_buffer_ = std::move(bytes);
  asio::async_write(socket_, asio::buffer(writing_buffer_),
                    [this](const boost::system::error_code& error, std::size_t) {
                      writing_ = false;
                      if (stage_ == stage::failed || stage_ == stage::closed) return;
                      if (error) return fail(fmt::format("write: {}", error.message()));
                      if (!outbox_.empty()) {
                        std::string next;
                        next.swap(outbox_);
                        send(std::move(next));
                      } else {
                        writing_buffer_.clear();
                        writing_buffer_.shrink_to_fit();
                      }
                    });
}

void subscriber::send_frame(opcode op, std::string_view payload) {
  std::string frame;
  append_client_frame(frame, op, payload);
  send(std::move(frame));
}

void subscriber::become_live(std::int64_t now_us) {
  stage_ = stage::live;
  made_ = true;
  ++thread_.tally.made;
  thread_.tally.connect_time.record(now_us - started_us_);
  resolve();
}

void subscriber::fail(std::string_view reason) {
  const bool was_live = stage_ == stage::live;
  if (stage_ == stage::failed || stage_ == stage::closed) return;
  stage_ = stage::failed;
  boost::system::error_code ignored;
  socket_.close(ignored);
  auto& tally = thread_.tally;
  if (tally.first_failure.empty()) tally.first_failure = std::string(reason);
  if (was_live) {
    ++tally.dropped;
  } else {
    ++tally.failed;
    resolve();
  }
}

void subscriber::resolve() {
  if (resolved_) return;
  resolved_ = true;
  if (on_resolved_ != nullptr) on_resolved_(resolved_context_);
}

}  // namespace livechat::bench
