#pragma once
// What the publisher's schedule needs of a way to send messages (HTTP lanes, a STOMP link),
// and what a transport tells the schedule back.

#include <cstdint>
#include <string>
#include <string_view>

namespace livechat::bench {

/// Called by a transport, on the publisher's thread.
class publish_events {
 public:
  virtual ~publish_events() = default;
  virtual void acknowledged(std::uint64_t sequence) = 0;
  virtual void refused(std::uint64_t sequence, std::string_view reason) = 0;
  /// The transport can take another message now (a connection became free or connected).
  virtual void ready() = 0;
  /// The transport cannot send anything any more (it could not connect, or was closed).
  virtual void broken(std::string_view reason) = 0;
};

class publish_transport {
 public:
  virtual ~publish_transport() = default;
  /// Starts connecting; ready() follows when a message can be sent.
  virtual void start() = 0;
  /// True when send() may be called now.
  virtual bool can_send() const = 0;
  /// Sends message `sequence`, whose text is `contents`; its outcome comes as acknowledged() or
  /// refused().
  virtual void send(std::uint64_t sequence, const std::string& contents) = 0;
};

}  // namespace livechat::bench
