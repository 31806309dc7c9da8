#pragma once
// Reads the STOMP frames a client sent in one WebSocket message (STOMP 1.2, "STOMP Frames"):
//
//   COMMAND EOL  *(name ":" value EOL)  EOL  body  NUL  *(EOL)      where EOL is LF or CR LF
//
// A message holds any number of whole frames, each optionally preceded or followed by EOLs
// (heart-beats); a message of EOLs only is a heart-beat. A frame never spans messages: that is
// how @stomp/stompjs and Spring send (stompjs splits frames only when told to), so a frame cut
// short is an error, not something to wait for. Pure code: no I/O, no state between calls.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/stomp/frame.hpp"
#include "protocol/stomp/protocol_version.hpp"

namespace livechat::stomp {

/// Bounds on what one client frame may hold; anything over is an error, never truncated.
struct parse_limits {
  std::size_t max_frame_bytes = 64 * 1024;        // command line through the NUL
  std::size_t max_headers = 64;                   // header lines, repeats included
  std::size_t max_header_line_bytes = 8 * 1024;   // one line without its EOL (command too)
  std::size_t max_body_bytes = 64 * 1024;
};

/// Why a message was refused; the codes tests and callers can branch on.
enum class parse_error {
  none,
  unknown_command,          // not a STOMP command (commands are case-sensitive)
  server_command,           // CONNECTED, MESSAGE, RECEIPT or ERROR from a client
  incomplete_frame,         // the message ends before the blank line after the headers
  missing_colon,            // a header line without ':'
  empty_header_name,        // a header line starting with ':'
  stray_carriage_return,    // a CR that is not part of a CR LF line end
  bad_escape,               // an escape the version does not define (always fatal)
  bad_content_length,       // content-length is not a decimal number
  content_length_too_long,  // content-length runs past the end of the message
  missing_nul_after_body,   // the byte after content-length bytes of body is not NUL
  missing_nul,              // no NUL ends the body
  too_many_headers,
  header_line_too_long,
  body_too_large,
  frame_too_large,
};

struct parse_result {
  parse_error error = parse_error::none;
  // For the ERROR frame's `message` header: short printable ASCII without ':' or backslash, so it
  // needs no escaping under any version. Empty when ok.
  std::string message;
  // The failing frame's `receipt` header, when its headers were read far enough to see one;
  // for the ERROR frame's `receipt-id`.
  std::optional<std::string> receipt;

  bool ok() const { return error == parse_error::none; }
  explicit operator bool() const { return ok(); }
};

/// Appends every frame of `data`, one whole WebSocket message, to `out` in order. Header text
/// is unescaped as `version` says, except in CONNECT and STOMP frames, which are never escaped.
/// The first of repeated headers wins, but all are kept. The body is exactly `content-length`
/// bytes when that header is present (NULs allowed), else everything up to the first NUL.
/// On error, `out` holds the frames that came before the bad one, whole, and nothing after.
parse_result parse_frames(std::string_view data, std::vector<frame>& out,
                          const parse_limits& limits, protocol_version version);

}  // namespace livechat::stomp
