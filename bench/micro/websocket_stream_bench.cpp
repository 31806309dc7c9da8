// One tick's writes of a shared 10-message batch to 100 STOMP subscribers over real sockets
// (socketpairs), both ways: our framing (the batch's WebSocket frames rendered once, one gather
// write per connection, as stomp_session does) against Boost.Beast's websocket::stream (one
// async_write per message, as its API takes one message per call, each framed by Beast). The
// peers' bytes are drained after each tick, outside the timing, the same for both.
// docs/dependencies.md quotes the result: it decides whether we keep our own framing.

#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/websocket/frame_writer.hpp"
#include "sample_data.hpp"
#include "stomp/batch_frames.hpp"

namespace livechat::bench {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using local_socket = asio::local::stream_protocol::socket;

constexpr std::size_t connection_count = 100;
constexpr std::size_t messages_per_batch = 10;

// Reads whatever the server side wrote, so that socket buffers never fill.
void drain(std::vector<local_socket>& peers) {
  static std::array<char, 64 * 1024> sink;
  for (auto& peer : peers) {
    boost::system::error_code error;
    while (peer.read_some(asio::buffer(sink), error) == sink.size()) {
    }
  }
}

// Each message's STOMP MESSAGE frame for subscription "sub-0", without a WebSocket header: what
// Beast is given to frame.
std::vector<std::string> message_payloads(const fanout::batch& batch) {
  std::vector<std::string> payloads;
  for (const auto& message : batch.messages) {
    const std::string frame =
        stomp::message_frame_for(message, "sub-0", stomp::protocol_version::v1_2);
    const std::uint8_t length = static_cast<std::uint8_t>(frame[1]) & 0x7F;
    payloads.push_back(frame.substr(length == 126 ? 4 : length == 127 ? 10 : 2));
  }
  return payloads;
}

void BM_TickWritesOwnFraming(benchmark::State& state) {
  asio::io_context io;
  std::vector<local_socket> servers;
  std::vector<local_socket> peers;
  for (std::size_t i = 0; i < connection_count; ++i) {
    servers.emplace_back(io);
    peers.emplace_back(io);
    asio::local::connect_pair(servers.back(), peers.back());
    peers.back().non_blocking(true);
  }
  const auto batch = make_sample_batch(messages_per_batch);
  const auto key = stomp::make_frame_key("sub-0", stomp::protocol_version::v1_2);
  for (auto _ : state) {
    const std::shared_ptr<const std::string> frames = stomp::batch_frames_for(batch, key);
    std::size_t written = 0;
    for (auto& server : servers) {
      asio::async_write(server, asio::buffer(*frames),
                        [&written](const boost::system::error_code& error, std::size_t) {
                          if (!error) ++written;
                        });
    }
    io.restart();
    io.run();
    if (written != connection_count) state.SkipWithError("a write failed");
    state.PauseTiming();
    drain(peers);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * connection_count *
                                                    messages_per_batch));
}
BENCHMARK(BM_TickWritesOwnFraming);

void BM_TickWritesBeastStream(benchmark::State& state) {
  asio::io_context io;
  std::vector<std::unique_ptr<websocket::stream<local_socket>>> servers;
  std::vector<std::unique_ptr<websocket::stream<local_socket>>> clients;
  for (std::size_t i = 0; i < connection_count; ++i) {
    servers.push_back(std::make_unique<websocket::stream<local_socket>>(io));
    clients.push_back(std::make_unique<websocket::stream<local_socket>>(io));
    asio::local::connect_pair(servers.back()->next_layer(), clients.back()->next_layer());
    servers.back()->async_accept([](const boost::system::error_code&) {});
    clients.back()->async_handshake("localhost", "/ws", [](const boost::system::error_code&) {});
  }
  io.run();
  std::vector<local_socket> peers;
  for (auto& client : clients) {
    if (!client->is_open()) {
      state.SkipWithError("the WebSocket handshake failed");
      return;
    }
    peers.push_back(std::move(client->next_layer()));
    peers.back().non_blocking(true);
  }
  for (auto& server : servers) {
    server->text(true);
    server->auto_fragment(false);
  }
  const auto batch = make_sample_batch(messages_per_batch);
  const std::vector<std::string> payloads = message_payloads(*batch);
  for (auto _ : state) {
    std::size_t written = 0;
    // One message per call, the next once the previous is written: Beast allows one write in
    // flight per stream.
    struct writer {
      websocket::stream<local_socket>& stream;
      const std::vector<std::string>& payloads;
      std::size_t& written;
      std::size_t next = 0;
      void write_next() {
        if (next == payloads.size()) return;
        stream.async_write(asio::buffer(payloads[next++]),
                           [this](const boost::system::error_code& error, std::size_t) {
                             if (error) return;
                             ++written;
                             write_next();
                           });
      }
    };
    std::vector<writer> writers;
    writers.reserve(servers.size());
    for (auto& server : servers) writers.push_back(writer{*server, payloads, written});
    for (auto& each : writers) each.write_next();
    io.restart();
    io.run();
    if (written != connection_count * messages_per_batch) state.SkipWithError("a write failed");
    state.PauseTiming();
    drain(peers);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * connection_count *
                                                    messages_per_batch));
}
BENCHMARK(BM_TickWritesBeastStream);

}  // namespace
}  // namespace livechat::bench
