// tcp_probe: a raw TCP client on loopback that writes some bytes and reports how the server
// answered (what it sent back, and whether it closed, reset or kept the connection), for
// suites that check what a listener does with a peer that does not speak its protocol.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>

namespace sagaforge::testing {

struct tcp_probe_result {
  enum class end { not_connected, closed, reset, still_open };
  end how = end::not_connected;
  std::string received;  ///< every byte the server sent before `how`
  double seconds = 0;    ///< from the write to `how`

  static const char* name(end e) {
    switch (e) {
      case end::not_connected: return "not connected";
      case end::closed: return "closed";
      case end::reset: return "reset";
      case end::still_open: return "still open";
    }
    return "?";
  }
};

/// Connects to 127.0.0.1:`port`, writes `bytes` (none: stays silent) and reads until the
/// server closes or resets the connection, or `wait` passes (then `still_open`).
inline tcp_probe_result tcp_probe(uint16_t port, const std::string& bytes,
                                  std::chrono::milliseconds wait) {
  tcp_probe_result r;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  // MSG_NOSIGNAL: a server that resets early must not kill the test with SIGPIPE.
  if (!bytes.empty() && ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
    r.how = errno == ECONNRESET || errno == EPIPE ? tcp_probe_result::end::reset
                                                  : tcp_probe_result::end::closed;
    r.seconds = elapsed();
    ::close(fd);
    return r;
  }
  r.how = tcp_probe_result::end::still_open;
  auto deadline = start + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    if (left <= 0)
      break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;  // the timeout (checked above) or EINTR
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      r.received.append(buf, static_cast<size_t>(n));
      continue;
    }
    r.how = n == 0 ? tcp_probe_result::end::closed : tcp_probe_result::end::reset;
    break;
  }
  r.seconds = elapsed();
  ::close(fd);
  return r;
}

} // namespace sagaforge::testing
