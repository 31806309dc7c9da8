#include "protocol/stomp/frame_parser.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "protocol/stomp/header_escaping.hpp"

namespace livechat::stomp {

namespace {

// A little of the client's text, safe to quote in an ERROR frame's message header: printable
// ASCII without ':' or backslash, so it reads the same whether the header is escaped or not.
std::string excerpt(std::string_view text) {
  constexpr std::size_t max_length = 32;
  std::string out;
  for (const char c : text.substr(0, max_length)) {
    out += (c >= 0x20 && c < 0x7f && c != ':' && c != '\\') ? c : '?';
  }
  if (text.size() > max_length) out += "...";
  return out;
}

parse_result failure(parse_error error, std::string message,
                     std::optional<std::string> receipt = std::nullopt) {
  return parse_result{error, std::move(message), std::move(receipt)};
}

// Moves `position` past any LF or CR LF: the heart-beats and padding around frames.
void skip_line_ends(std::string_view data, std::size_t& position) {
  while (position < data.size()) {
    if (data[position] == '\n') {
      ++position;
    } else if (data[position] == '\r' && position + 1 < data.size() && data[position + 1] == '\n') {
      position += 2;
    } else {
      return;
    }
  }
}

// Reads one frame starting at `position`, the first byte of its command line, and moves
// `position` past its NUL.
class frame_reader {
 public:
  frame_reader(std::string_view data, std::size_t& position, const parse_limits& limits,
               protocol_version version)
      : data_(data), position_(position), limits_(limits), version_(version) {}

  parse_result read(frame& into) {
    const std::size_t start = position_;
    std::string_view line;
    if (auto bad = read_line(line)) return std::move(*bad);

    const auto verb = parse_command(line);
    if (!verb) return failure(parse_error::unknown_command, "unknown command '" + excerpt(line) + "'");
    if (!is_client_command(*verb)) {
      return failure(parse_error::server_command,
                     std::string(to_string(*verb)) + " is a server frame, not for clients to send");
    }
    into.verb = *verb;
    const header_escaping rules = escaping_for(*verb, version_);

    while (true) {
      if (auto bad = read_line(line)) return std::move(*bad);
      if (line.empty()) break;
      if (auto bad = read_header(line, rules, into)) return std::move(*bad);
    }
    if (position_ - start > limits_.max_frame_bytes) return frame_too_large();

    if (auto bad = read_body(into)) return std::move(*bad);
    if (position_ - start > limits_.max_frame_bytes) return frame_too_large();
    return {};
  }

 private:
  // Sets `line` to the next line without its EOL and moves past it.
  std::optional<parse_result> read_line(std::string_view& line) {
    const std::size_t max_length = limits_.max_header_line_bytes;
    // A line of max_length bytes plus CR LF is the longest that can pass, so looking further
    // for its LF is wasted work.
    const std::size_t window_length = std::min(max_length, data_.size()) + 2;
    const std::string_view window = data_.substr(position_, window_length);
    const std::size_t line_feed = window.find('\n');
    if (line_feed == std::string_view::npos) {
      if (window.size() == window_length) return line_too_long();
      return failure(parse_error::incomplete_frame,
                     "incomplete frame, the message ends inside its headers", receipt_);
    }
    line = window.substr(0, line_feed);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_length) return line_too_long();
    if (line.find('\r') != std::string_view::npos) {
      return failure(parse_error::stray_carriage_return,
                     "a header line holds a CR that does not end it", receipt_);
    }
    position_ += line_feed + 1;
    return std::nullopt;
  }

  std::optional<parse_result> read_header(std::string_view line, header_escaping rules,
                                          frame& into) {
    if (into.headers.size() == limits_.max_headers) {
      return failure(parse_error::too_many_headers,
                     "more than " + std::to_string(limits_.max_headers) + " headers", receipt_);
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return failure(parse_error::missing_colon, "header line without a colon", receipt_);
    }
    if (colon == 0) return failure(parse_error::empty_header_name, "header without a name", receipt_);

    header entry;
    if (!append_unescaped(entry.name, line.substr(0, colon), rules) ||
        !append_unescaped(entry.value, line.substr(colon + 1), rules)) {
      return failure(parse_error::bad_escape,
                     "undefined escape in header '" + excerpt(line.substr(0, colon)) + "'",
                     receipt_);
    }
    if (!receipt_ && entry.name == "receipt") receipt_ = entry.value;
    into.headers.push_back(std::move(entry));
    return std::nullopt;
  }

  std::optional<parse_result> read_body(frame& into) {
    const std::string_view rest = data_.substr(position_);
    if (const auto declared = into.header("content-length")) {
      std::size_t length = 0;
      if (declared->empty() || declared->find_first_not_of("0123456789") != std::string_view::npos) {
        return failure(parse_error::bad_content_length,
                       "content-length '" + excerpt(*declared) + "' is not a number", receipt_);
      }
      for (const char digit : *declared) {
        const auto value = static_cast<std::size_t>(digit - '0');
        if (length > (SIZE_MAX - value) / 10) return body_too_large();
        length = length * 10 + value;
        if (length > limits_.max_body_bytes) return body_too_large();
      }
      if (length > rest.size()) {
        return failure(parse_error::content_length_too_long,
                       "content-length " + std::string(*declared) + " runs past the end of the frame",
                       receipt_);
      }
      if (length == rest.size() || rest[length] != '\0') {
        return failure(parse_error::missing_nul_after_body,
                       "no NUL after the content-length bytes of body", receipt_);
      }
      into.body.assign(rest.substr(0, length));
      position_ += length + 1;
      return std::nullopt;
    }

    const std::size_t nul = rest.find('\0');
    const std::size_t length = nul == std::string_view::npos ? rest.size() : nul;
    if (length > limits_.max_body_bytes) return body_too_large();
    if (nul == std::string_view::npos) {
      return failure(parse_error::missing_nul, "frame not terminated by NUL", receipt_);
    }
    into.body.assign(rest.substr(0, length));
    position_ += length + 1;
    return std::nullopt;
  }

  parse_result line_too_long() const {
    return failure(parse_error::header_line_too_long,
                   "header line over " + std::to_string(limits_.max_header_line_bytes) + " bytes",
                   receipt_);
  }

  parse_result body_too_large() const {
    return failure(parse_error::body_too_large,
                   "body over " + std::to_string(limits_.max_body_bytes) + " bytes", receipt_);
  }

  parse_result frame_too_large() const {
    return failure(parse_error::frame_too_large,
                   "frame over " + std::to_string(limits_.max_frame_bytes) + " bytes", receipt_);
  }

  std::string_view data_;
  std::size_t& position_;
  const parse_limits& limits_;
  protocol_version version_;
  std::optional<std::string> receipt_;
};

}  // namespace

parse_result parse_frames(std::string_view data, std::vector<frame>& out,
                          const parse_limits& limits, protocol_version version) {
  std::size_t position = 0;
  while (true) {
    skip_line_ends(data, position);
    if (position == data.size()) return {};
    frame parsed;
    parse_result result = frame_reader(data, position, limits, version).read(parsed);
    if (!result) return result;
    out.push_back(std::move(parsed));
  }
}

}  // namespace livechat::stomp
