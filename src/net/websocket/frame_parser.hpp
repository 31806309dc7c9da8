#pragma once
// An incremental parser of the frames a WebSocket client sends (RFC 6455 section 5), with the
// server's duties: masked frames only, no extensions, messages reassembled from fragments and
// bounded in size, text checked for UTF-8. Pure code: the caller feeds whatever bytes the socket
// gave, in any pieces; events come out identical however the stream was cut.
//
// Memory: between frames the parser holds no heap at all; while a frame or a fragmented message
// is unfinished it holds its unmasked payload so far (at most max_message_bytes for data, 125
// for control frames) and at most 14 header bytes. Completed payloads are moved out to the
// handler, not copied.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "net/websocket/opcode.hpp"

namespace livechat::net::websocket {

/// What a client sent: a whole data message, or one control frame.
struct frame_event {
  // text or binary: a whole message; ping, pong or close: one control frame.
  opcode op = opcode::binary;
  // Unmasked. For close: the reason only, without the code.
  std::string payload;
  // For close only: the client's code, or close_code::no_status (1005) when it sent none.
  std::uint16_t close_code = 0;

  friend bool operator==(const frame_event&, const frame_event&) = default;
};

/// A breach of the protocol; the connection is to be closed with `close_code`.
struct protocol_error {
  // 1002 protocol error, 1007 invalid UTF-8 or 1009 message too big.
  std::uint16_t close_code = 0;
  // A short, static, ASCII explanation: fit for logs and for the close frame's reason.
  std::string_view reason;

  friend bool operator==(const protocol_error&, const protocol_error&) = default;
};

class frame_parser {
 public:
  static constexpr std::size_t default_max_message_bytes = 64 * 1024;

  /// A parser that refuses (1009) any message whose payload would exceed `max_message_bytes`.
  explicit frame_parser(std::size_t max_message_bytes = default_max_message_bytes);

  /// Parses every frame that `bytes` completes, calling `on_event(frame_event&&)` for each
  /// message and control frame in stream order, and keeps what is left unfinished for the next
  /// call. Returns the protocol error when the stream breaks the protocol: events before the
  /// offending frame have been delivered, and the parser stays failed (each later call returns
  /// the same error and delivers nothing). After a close frame, further bytes are ignored.
  /// `on_event` must not call back into this parser; should it throw, the exception propagates,
  /// the rest of `bytes` goes unparsed, and the parser is no longer in step with the stream.
  template <class Handler>
  std::optional<protocol_error> consume(std::string_view bytes, Handler&& on_event) {
    using handler_type = std::remove_reference_t<Handler>;
    // Type-erased for the call only; the cast back restores any const.
    void* handler = const_cast<void*>(static_cast<const void*>(std::addressof(on_event)));
    return consume_with(bytes, event_sink{handler, [](void* erased, frame_event&& event) {
                                            std::invoke(*static_cast<handler_type*>(erased),
                                                        std::move(event));
                                          }});
  }

  /// The error the parser failed with, if it did.
  std::optional<protocol_error> error() const;

  /// True once a close frame has been delivered.
  bool closed() const { return state_ == state::closed; }

  /// Bytes of the stream held because their frame or message is unfinished; 0 between frames.
  std::size_t buffered_bytes() const;

  /// Heap memory the parser holds right now; 0 whenever buffered_bytes() is.
  std::size_t allocated_bytes() const;

 private:
  enum class state : std::uint8_t { header, payload, closed, failed };

  // A borrowed callable, so that the parsing itself lives in the .cpp.
  struct event_sink {
    void* handler;
    void (*deliver)(void* handler, frame_event&& event);
  };

  std::optional<protocol_error> consume_with(std::string_view bytes, event_sink sink);
  bool read_header(std::string_view& bytes);
  std::optional<protocol_error> check_first_header_bytes() const;
  std::optional<protocol_error> accept_full_header();
  void read_payload(std::string_view& bytes);
  void finish_frame(event_sink sink);
  void fail(protocol_error error);

  // The unmasked payload of the data message in progress (earlier fragments included).
  std::string message_;
  // The unmasked payload of the control frame in progress.
  std::string control_;
  std::size_t max_message_bytes_;
  std::uint64_t payload_remaining_ = 0;
  protocol_error error_;
  std::array<std::uint8_t, 14> header_{};
  std::array<std::uint8_t, 4> mask_{};
  std::uint8_t header_size_ = 0;
  std::uint8_t mask_phase_ = 0;  // payload bytes of the frame read so far, modulo 4
  opcode frame_opcode_ = opcode::continuation;
  // text or binary while a fragmented message is in progress, continuation otherwise.
  opcode message_opcode_ = opcode::continuation;
  bool frame_final_ = false;
  state state_ = state::header;
};

}  // namespace livechat::net::websocket
