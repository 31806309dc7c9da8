#pragma once
// A batch as WebSocket frames for one STOMP subscription id: every MESSAGE frame of the batch
// (and the `closed` notice when it closes the room), each in its own WebSocket text frame, in
// one buffer that leaves in one write.
//
// Frames differ between subscribers only by the subscription id, and most clients of a room
// use the same one (stompjs numbers its subscriptions "sub-0", "sub-1"…). So each I/O thread
// renders a batch once per distinct id and version, and every connection with that id shares
// the bytes.

#include <memory>
#include <string>
#include <string_view>

#include "fanout/batch.hpp"
#include "protocol/stomp/protocol_version.hpp"

namespace livechat::stomp {

/// What a rendering depends on besides the batch: a subscription's id as it goes on the wire
/// (escaped for its version) and the version. Made once per subscription, so that finding a
/// rendering costs no allocation per delivery.
struct frame_key {
  std::string escaped_subscription_id;
  protocol_version version = protocol_version::v1_2;

  friend bool operator==(const frame_key&, const frame_key&) = default;
};

/// The key for subscription `subscription_id` (unescaped) on `version`.
frame_key make_frame_key(std::string_view subscription_id, protocol_version version);

/// The rendering of `delivered` for `key`, shared. Thread-confined cache: call on an I/O
/// thread, for the batch being delivered.
std::shared_ptr<const std::string> batch_frames_for(
    const std::shared_ptr<const fanout::batch>& delivered, const frame_key& key);

/// One message's MESSAGE frame for one subscription as a WebSocket frame (replays, partial
/// batches: the cold path).
std::string message_frame_for(const model::message& message, std::string_view subscription_id,
                              protocol_version version);

/// The `closed` notice for one subscription as a WebSocket frame.
std::string closed_frame_for(std::string_view room_id, std::string_view subscription_id,
                             protocol_version version);

/// The `left` notice (the member exited) for one subscription as a WebSocket frame.
std::string left_frame_for(std::string_view room_id, std::string_view subscription_id,
                           protocol_version version);

}  // namespace livechat::stomp
