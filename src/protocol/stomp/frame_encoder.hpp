#pragma once
// Writes server frames for the wire: the general `encode`, the ready-made ERROR, RECEIPT and
// heart-beat, and the shared halves of a MESSAGE frame for the fan-out. Pure code: no I/O.
//
// Frames leave as: COMMAND LF, name ":" value LF per header, LF, body, NUL. Header text is
// escaped as escaping_for(verb, version) says (header_escaping.hpp).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/stomp/frame.hpp"
#include "protocol/stomp/protocol_version.hpp"

namespace livechat::stomp {

/// The wire form of `message` for a connection on `version`. Headers are written in order,
/// repeats included; when the body is not empty and no `content-length` header is there, one
/// is added last (a given one is kept as is: it must match the body). Header names must not be
/// empty; text that the escaping cannot carry becomes spaces, so a header can never split.
std::string encode(const frame& message, protocol_version version);

/// A MESSAGE frame cut around its subscription id, so that one encoding serves every
/// subscriber of a destination: the frame for a subscription is
///   *prefix + escape(subscription_id, escaping_for(command::message, version)) + *suffix
/// which the fan-out writes as three buffers, sharing prefix and suffix between connections.
struct message_frame_parts {
  // "MESSAGE\ndestination:<destination>\nsubscription:"
  std::shared_ptr<const std::string> prefix;
  // "\nmessage-id:<id>\ncontent-type:application/json\ncontent-length:<n>\n\n<body>\0"
  std::shared_ptr<const std::string> suffix;
  // The connections' version; parts for another version escape differently.
  protocol_version version = protocol_version::v1_2;

  /// The whole frame for one subscription, in one string (tests and cold paths).
  std::string frame_for(std::string_view subscription_id) const;
};

/// The parts of MESSAGE destination, subscription, message-id, content-type:application/json,
/// content-length, with `json_body` as the body; equal, once joined, to `encode` of that frame.
message_frame_parts encode_message_parts(std::string_view destination,
                                         std::string_view message_id, std::string_view json_body,
                                         protocol_version version = protocol_version::v1_2);

/// An ERROR frame: `message` (one short line), `receipt-id` when the failed frame asked for a
/// receipt, and `body` as text/plain details when not empty.
std::string encode_error(std::string_view message, std::optional<std::string_view> receipt_id,
                         std::string_view body,
                         protocol_version version = protocol_version::v1_2);

/// A RECEIPT frame answering the frame whose `receipt` header was `receipt_id`.
std::string encode_receipt(std::string_view receipt_id,
                           protocol_version version = protocol_version::v1_2);

/// What the server sends as a heart-beat: one LF.
std::string_view heart_beat();

}  // namespace livechat::stomp
