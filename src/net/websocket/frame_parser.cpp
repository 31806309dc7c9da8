#include "net/websocket/frame_parser.hpp"

#include <algorithm>
#include <cstring>

#include "net/websocket/close_code.hpp"
#include "net/websocket/utf8.hpp"

namespace livechat::net::websocket {
namespace {

constexpr std::uint8_t final_bit = 0x80;
constexpr std::uint8_t reserved_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;
constexpr std::uint8_t length_16_bit = 126;
constexpr std::uint8_t length_64_bit = 127;
constexpr std::size_t max_control_payload = 125;

constexpr protocol_error protocol_violation(std::string_view reason) {
  return {close_code::protocol_error, reason};
}

bool is_known(std::uint8_t op) {
  switch (static_cast<opcode>(op)) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
      return true;
  }
  return false;
}

// Two fixed bytes, the extended length, then the 4-byte masking key (clients always mask; an
// unmasked frame is refused before this matters).
std::size_t full_header_size(std::uint8_t second_byte) {
  const std::uint8_t length = second_byte & length_bits;
  const std::size_t extended = length == length_16_bit ? 2 : length == length_64_bit ? 8 : 0;
  return 2 + extended + 4;
}

std::uint64_t read_big_endian(const std::uint8_t* bytes, std::size_t count) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value = (value << 8) | bytes[i];
  return value;
}

// XORs `size` bytes with the masking key, `phase` being the offset of data[0] in the frame's
// payload modulo 4; eight bytes at a time with the key rotated once into a word.
void unmask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask,
            std::uint8_t phase) {
  std::array<std::uint8_t, 8> key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = mask[(phase + i) % 4];
  std::uint64_t key_word;
  std::memcpy(&key_word, key.data(), sizeof key_word);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, sizeof word);
    word ^= key_word;
    std::memcpy(data + i, &word, sizeof word);
  }
  for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i % 8]);
}

// Frees a buffer's heap memory, which clear() would keep.
void release(std::string& buffer) { std::string{}.swap(buffer); }

}  // namespace

frame_parser::frame_parser(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

std::optional<protocol_error> frame_parser::error() const {
  if (state_ != state::failed) return std::nullopt;
  return error_;
}

std::size_t frame_parser::buffered_bytes() const {
  return header_size_ + message_.size() + control_.size();
}

std::size_t frame_parser::allocated_bytes() const {
  // A string whose capacity exceeds the empty string's keeps its characters on the heap.
  const std::size_t inline_capacity = std::string{}.capacity();
  std::size_t total = 0;
  for (const std::string* buffer : {&message_, &control_}) {
    if (buffer->capacity() > inline_capacity) total += buffer->capacity() + 1;
  }
  return total;
}

std::optional<protocol_error> frame_parser::consume_with(std::string_view bytes, event_sink sink) {
  for (;;) {
    switch (state_) {
      case state::failed:
        return error_;
      case state::closed:
        return std::nullopt;
      case state::header:
        if (!read_header(bytes)) return error();
        break;
      case state::payload:
        read_payload(bytes);
        if (payload_remaining_ != 0) return std::nullopt;
        finish_frame(sink);
        break;
    }
  }
}

// Gathers header bytes; true once the whole header is in and accepted. The checks that need only
// the first two bytes run as soon as those are in, so that garbage is refused early.
bool frame_parser::read_header(std::string_view& bytes) {
  const auto gather_until = [&](std::size_t wanted) {
    const std::size_t count = std::min(wanted - header_size_, bytes.size());
    if (count != 0) std::memcpy(header_.data() + header_size_, bytes.data(), count);
    header_size_ = static_cast<std::uint8_t>(header_size_ + count);
    bytes.remove_prefix(count);
    return header_size_ == wanted;
  };
  if (header_size_ < 2) {
    if (!gather_until(2)) return false;
    if (const auto error = check_first_header_bytes()) {
      fail(*error);
      return false;
    }
  }
  if (!gather_until(full_header_size(header_[1]))) return false;
  if (const auto error = accept_full_header()) {
    fail(*error);
    return false;
  }
  header_size_ = 0;
  state_ = state::payload;
  return true;
}

std::optional<protocol_error> frame_parser::check_first_header_bytes() const {
  const std::uint8_t first = header_[0];
  const std::uint8_t second = header_[1];
  if ((first & reserved_bits) != 0) return protocol_violation("reserved bits set");
  const std::uint8_t op_bits = first & opcode_bits;
  if (!is_known(op_bits)) return protocol_violation("unknown opcode");
  if ((second & mask_bit) == 0) return protocol_violation("client frame not masked");
  const auto op = static_cast<opcode>(op_bits);
  const bool final = (first & final_bit) != 0;
  if (is_control(op)) {
    if (!final) return protocol_violation("fragmented control frame");
    if ((second & length_bits) > max_control_payload) {
      return protocol_violation("control frame over 125 bytes");
    }
  } else if (op == opcode::continuation) {
    if (message_opcode_ == opcode::continuation) {
      return protocol_violation("continuation without a message");
    }
  } else if (message_opcode_ != opcode::continuation) {
    return protocol_violation("new message before the last one ended");
  }
  return std::nullopt;
}

std::optional<protocol_error> frame_parser::accept_full_header() {
  const std::uint8_t length_field = header_[1] & length_bits;
  std::uint64_t length = length_field;
  if (length_field == length_16_bit) {
    length = read_big_endian(&header_[2], 2);
    if (length <= max_control_payload) return protocol_violation("length not minimally encoded");
  } else if (length_field == length_64_bit) {
    length = read_big_endian(&header_[2], 8);
    if ((length >> 63) != 0) return protocol_violation("64-bit length with the top bit set");
    if (length <= 0xFFFF) return protocol_violation("length not minimally encoded");
  }
  const auto op = static_cast<opcode>(header_[0] & opcode_bits);
  // Refused on the declared length, before a byte of it is buffered; message_ never exceeds
  // the limit, so the subtraction cannot wrap.
  if (!is_control(op) && length > max_message_bytes_ - message_.size()) {
    return protocol_error{close_code::message_too_big, "message too big"};
  }
  std::memcpy(mask_.data(), &header_[header_size_ - 4], mask_.size());
  payload_remaining_ = length;
  mask_phase_ = 0;
  frame_opcode_ = op;
  frame_final_ = (header_[0] & final_bit) != 0;
  if (op == opcode::text || op == opcode::binary) message_opcode_ = op;
  return std::nullopt;
}

void frame_parser::read_payload(std::string_view& bytes) {
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(payload_remaining_, bytes.size()));
  if (count == 0) return;
  std::string& target = is_control(frame_opcode_) ? control_ : message_;
  const std::size_t offset = target.size();
  target.append(bytes.data(), count);
  unmask(target.data() + offset, count, mask_, mask_phase_);
  mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + count) % 4);
  payload_remaining_ -= count;
  bytes.remove_prefix(count);
}

// Called with the frame's whole payload in. State is settled before the handler runs, so that
// the handler sees a parser between frames.
void frame_parser::finish_frame(event_sink sink) {
  state_ = state::header;
  const auto deliver = [&sink](frame_event&& event) {
    sink.deliver(sink.handler, std::move(event));
  };
  switch (frame_opcode_) {
    case opcode::ping:
    case opcode::pong:
      deliver({frame_opcode_, std::exchange(control_, std::string{})});
      return;
    case opcode::close: {
      if (control_.size() == 1) return fail(protocol_violation("close payload of 1 byte"));
      std::uint16_t code = close_code::no_status;
      if (control_.size() >= 2) {
        code = static_cast<std::uint16_t>(
            read_big_endian(reinterpret_cast<const std::uint8_t*>(control_.data()), 2));
        if (!close_code::is_sendable(code)) return fail(protocol_violation("invalid close code"));
        control_.erase(0, 2);
        if (!is_valid_utf8(control_)) return fail(protocol_violation("close reason not UTF-8"));
      }
      // Whatever follows a close frame is ignored, a message in progress included.
      state_ = state::closed;
      release(message_);
      message_opcode_ = opcode::continuation;
      deliver({opcode::close, std::exchange(control_, std::string{}), code});
      return;
    }
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
      if (!frame_final_) return;
      const opcode op = std::exchange(message_opcode_, opcode::continuation);
      if (op == opcode::text && !is_valid_utf8(message_)) {
        return fail({close_code::invalid_payload, "text message not UTF-8"});
      }
      deliver({op, std::exchange(message_, std::string{})});
      return;
  }
}

void frame_parser::fail(protocol_error error) {
  error_ = error;
  state_ = state::failed;
  release(message_);
  release(control_);
  header_size_ = 0;
  payload_remaining_ = 0;
  message_opcode_ = opcode::continuation;
}

}  // namespace livechat::net::websocket
