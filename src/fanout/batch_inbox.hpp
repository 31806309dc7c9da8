#pragma once
// Batches on their way to one I/O thread. The tick adds each tick's batches here, and the thread
// takes everything that has arrived in one go: a thread that fell behind (more connections
// than it can write to in one tick) delivers the ticks it missed in one pass, with one write
// per connection, instead of working through them one tick at a time. Under overload the
// writes per connection per second fall and the bytes per write grow, so the backlog, and the
// latency with it, stay bounded instead of growing for as long as the overload lasts.

#include <mutex>

#include "fanout/room_hub.hpp"

namespace livechat::fanout {

class batch_inbox {
 public:
  /// Adds `batches` after those already waiting. Returns true when no pass is pending for the
  /// thread: the caller must then post one, which will take() them.
  bool add(batch_list batches);

  /// Everything added so far, in the order added; the next add() asks for a new pass.
  batch_list take();

 private:
  std::mutex mutex_;
  batch_list waiting_;
  bool pass_pending_ = false;
};

}  // namespace livechat::fanout
