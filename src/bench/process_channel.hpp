#pragma once
// A line-oriented JSON channel between the bench's coordinator and one of its subscriber
// processes, over a pair of pipes made before fork(). Blocking: each side has nothing else to
// do while it waits for the other.

#include <boost/json/object.hpp>

#include <string>

namespace livechat::bench {

class process_channel {
 public:
  /// The two ends for each side: make before fork(), then each side calls become_parent() or
  /// become_child(), which closes the other side's ends.
  process_channel();
  ~process_channel();
  process_channel(const process_channel&) = delete;
  process_channel& operator=(const process_channel&) = delete;

  void become_parent();
  void become_child();

  /// Sends one object as one line. Throws std::runtime_error if the other side is gone.
  void send(const boost::json::object& message);

  /// The next object; throws std::runtime_error if the other side closed first.
  boost::json::object receive();

 private:
  int to_child_[2] = {-1, -1};
  int to_parent_[2] = {-1, -1};
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::string buffered_;
};

}  // namespace livechat::bench
