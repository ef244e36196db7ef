// A child process that keeps running while the test talks to it: its stdin stays open
// (closing it is how our helpers are told to stop), its stdout can be read line by line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::test {

class ChildProcess {
 public:
  // Starts argv[0] with the given extra environment (nullopt removes a variable). Without
  // `capture_stderr` the child writes to the test's own stderr.
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::map<std::string, std::optional<std::string>>& env = {}, bool capture_stderr = true);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // closes stdin, then kills and reaps the child if it is still there

  pid_t pid() const noexcept { return pid_; }
  enum class Stream { out, err };
  // The next line of stdout (or stderr), without the newline; nullopt at end or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                       Stream stream = Stream::out);
  // Everything the child wrote to stdout until it closed it (or the timeout).
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void close_stdin();
  void kill(int signal);
  // Waits for the child to end; returns its exit code, or -signal when a signal ended it.
  int wait();

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  std::string pending_[2];
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace tessera::test
