#pragma once
// Where a broker hands what it kept: this node's fan-out (fanout::room_hub implements it). The
// broker sits below the fan-out, so it knows only this.

#include <span>
#include <string_view>

#include "model/records.hpp"

namespace livechat::broker {

class message_sink {
 public:
  virtual ~message_sink() = default;

  /// Newly kept messages of one room: ids ascending, following the ones appended before.
  /// Called after the messages are durable, never before.
  virtual void append(std::string_view room_id, std::span<const model::message> kept) = 0;

  /// The room closed (or the session ended): after what was appended before, nothing more.
  virtual void close(std::string_view room_id) = 0;
};

}  // namespace livechat::broker
