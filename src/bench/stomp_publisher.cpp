#include "bench/stomp_publisher.hpp"

#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <charconv>

#include "bench/http_response_head.hpp"
#include "bench/websocket_client_frames.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Receipts awaited at once; past this the schedule holds messages back.
constexpr std::size_t max_in_flight = 1024;
constexpr std::uint64_t max_frame_payload = 1024 * 1024;

std::string_view header_value(std::string_view frame, std::string_view name) {
  const auto head = frame.substr(0, std::min(frame.find("\n\n"), frame.size()));
  for (std::size_t at = 0; at < head.size();) {
    const auto end = std::min(head.find('\n', at), head.size());
    const auto line = head.substr(at, end - at);
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') {
      return line.substr(name.size() + 1);
    }
    at = end + 1;
  }
  return {};
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

stomp_publisher::stomp_publisher(asio::io_context& io, const bench_options& options,
                                 publish_events& events)
    : io_(io), options_(options), events_(events), socket_(io) {}

void stomp_publisher::start() {
  const tcp::endpoint server(asio::ip::make_address(options_.host), options_.port);
  socket_.async_connect(server, [this](const boost::system::error_code& error) {
    if (error) return close(fmt::format("connect: {}", error.message()));
    socket_.set_option(tcp::no_delay(true));
    write(fmt::format(
        "GET /ws HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: bGl2ZWNoYXQtcHVibGlzaA==\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n",
        options_.host, options_.port));
    read();
  });
}

bool stomp_publisher::can_send() const {
  return connected_ && !closed_ && in_flight_ < max_in_flight;
}

void stomp_publisher::send(std::uint64_t sequence, const std::string& contents) {
  const std::string body = fmt::format(R"({{"contents":"{}"}})", contents);
  const std::string frame = fmt::format(
      "SEND\ndestination:/queue/message/{}\ncontent-type:application/json\nreceipt:{}\n"
      "content-length:{}\n\n{}",
      options_.room, sequence, body.size(), body);
  std::string bytes;
  append_client_frame(bytes, opcode::text, frame + '\0');
  ++in_flight_;
  write(std::move(bytes));
}

void stomp_publisher::read() {
  socket_.async_read_some(asio::buffer(read_buffer_), [this](const boost::system::error_code& error,
                                                             std::size_t size) {
    if (closed_) return;
    if (error) return close(fmt::format("read: {}", error.message()));
    received_.append(read_buffer_.data(), size);
    consume();
    if (!closed_) read();
  });
}

void stomp_publisher::consume() {
  if (!upgraded_) {
    const auto result = parse_response_head(received_);
    if (std::holds_alternative<head_incomplete>(result)) return;
    const auto* head = std::get_if<http_response_head>(&result);
    if (head == nullptr || head->status != 101) return close("the WebSocket upgrade was refused");
    received_.erase(0, head->size);
    upgraded_ = true;
    std::string connect = fmt::format(
        "CONNECT\naccept-version:1.2\nhost:{}\nheart-beat:0,0\nAuthorization:Bearer {}\n\n",
        options_.host, options_.token);
    std::string bytes;
    append_client_frame(bytes, opcode::text, connect + '\0');
    write(std::move(bytes));
  }
  std::size_t used = 0;
  while (!closed_) {
    const auto result = read_server_frame(std::string_view(received_).substr(used),
                                          max_frame_payload);
    if (std::holds_alternative<frame_incomplete>(result)) break;
    if (std::holds_alternative<frame_malformed>(result)) return close("malformed WebSocket frame");
    const auto& frame = std::get<server_frame>(result);
    used += frame.size;
    if (frame.op == opcode::close) return close("closed by the server");
    if (frame.op == opcode::text) on_frame(frame.payload);
  }
  received_.erase(0, used);
}

void stomp_publisher::on_frame(std::string_view frame) {
  const auto command = frame.substr(0, std::min(frame.find('\n'), frame.size()));
  if (command == "CONNECTED") {
    connected_ = true;
    events_.ready();
  } else if (command == "RECEIPT") {
    if (const auto sequence = parse_number(header_value(frame, "receipt-id"))) {
      --in_flight_;
      events_.acknowledged(*sequence);
      events_.ready();
    }
  } else if (command == "ERROR") {
    const auto reason = fmt::format("STOMP ERROR: {}", header_value(frame, "message"));
    if (const auto sequence = parse_number(header_value(frame, "receipt-id"))) {
      events_.refused(*sequence, reason);
    }
    close(reason);
  }
}

void stomp_publisher::write(std::string bytes) {
  outbox_ += bytes;
  if (writing_.empty()) flush();
}

void stomp_publisher::flush() {
  if (outbox_.empty() || closed_) return;
  writing_.swap(outbox_);
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](const boost::system::error_code& error, std::size_t) {
                      writing_.clear();
                      if (error) return close(fmt::format("write: {}", error.message()));
                      flush();
                    });
}

void stomp_publisher::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  events_.broken(reason);
}

}  // namespace livechat::bench
