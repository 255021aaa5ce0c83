// The machine's limit for bench/run-http: the least an HTTP/1.1 server can do per request. One
// thread, one level-triggered epoll set, non-blocking sockets; every complete request on a
// keep-alive connection (headers up to the blank line, then Content-Length bytes of body) is
// answered with the same 200 and a small JSON body. No routing, no parsing beyond that, no
// allocation per request. It answers "Connection: close" by closing after the answer; anything
// it cannot frame (a header block over 16 KiB, chunked bodies) closes the connection.
//
// Usage: epoll_responder ADDRESS_FILE
// Listens on 127.0.0.1, a port of the kernel's choice, writes "127.0.0.1:PORT" to ADDRESS_FILE
// (atomically, once listening) and serves until SIGTERM or SIGINT.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bench/address_file.h"

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: epoll_responder\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "{\"ok\":true}\n";
constexpr size_t kHeaderLimit = 16 * 1024;
constexpr int kMaxEvents = 64;

struct Connection {
  int fd = -1;
  std::string in;   // bytes read and not yet answered
  std::string out;  // bytes to write, when the socket would block
  bool close_after_write = false;
};

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

// The value of header `name` in the header block `head`, or "" when absent.
std::string_view HeaderValue(std::string_view head, std::string_view name) {
  size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    const size_t start = line + 2;
    const size_t end = head.find("\r\n", start);
    const std::string_view field =
        head.substr(start, (end == std::string_view::npos ? head.size() : end) - start);
    const size_t colon = field.find(':');
    if (colon != std::string_view::npos && IEquals(field.substr(0, colon), name)) {
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      return value;
    }
    line = end;
  }
  return {};
}

class Responder {
 public:
  Responder(int epoll_fd, int listen_fd, int signal_fd)
      : epoll_fd_(epoll_fd), listen_fd_(listen_fd), signal_fd_(signal_fd) {}

  void Run() {
    epoll_event events[kMaxEvents];
    for (;;) {
      const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::perror("epoll_wait");
        return;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == signal_fd_) return;
        if (fd == listen_fd_) {
          Accept();
          continue;
        }
        auto found = connections_.find(fd);
        if (found == connections_.end()) continue;
        Connection& connection = *found->second;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          Close(fd);
          continue;
        }
        if ((events[i].events & EPOLLOUT) && !Flush(connection)) continue;
        if (events[i].events & EPOLLIN) Read(connection);
      }
    }
  }

 private:
  void Accept() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: all taken; anything else: the next event retries
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
        ::close(fd);
        continue;
      }
      auto connection = std::make_unique<Connection>();
      connection->fd = fd;
      connections_[fd] = std::move(connection);
    }
  }

  void Read(Connection& connection) {
    char buffer[16 * 1024];
    const ssize_t got = ::read(connection.fd, buffer, sizeof(buffer));
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
      Close(connection.fd);
      return;
    }
    connection.in.append(buffer, static_cast<size_t>(got));
    Answer(connection);
  }

  // Answers every complete request in `connection.in`, in order, with one write for all.
  void Answer(Connection& connection) {
    size_t answered = 0;
    size_t responses = 0;
    for (;;) {
      const std::string_view pending = std::string_view(connection.in).substr(answered);
      const size_t blank = pending.find("\r\n\r\n");
      if (blank == std::string_view::npos) {
        if (pending.size() > kHeaderLimit) connection.close_after_write = true;
        break;
      }
      const std::string_view head = pending.substr(0, blank);
      if (!HeaderValue(head, "transfer-encoding").empty()) {
        connection.close_after_write = true;
        break;
      }
      size_t body = 0;
      const std::string length(HeaderValue(head, "content-length"));
      if (!length.empty()) body = std::strtoull(length.c_str(), nullptr, 10);
      if (pending.size() < blank + 4 + body) break;
      answered += blank + 4 + body;
      ++responses;
      if (IEquals(HeaderValue(head, "connection"), "close")) {
        connection.close_after_write = true;
        break;
      }
    }
    connection.in.erase(0, answered);
    for (size_t i = 0; i < responses; ++i) connection.out.append(kResponse);
    if (!connection.out.empty() || connection.close_after_write) Flush(connection);
  }

  // Writes what is pending; false when the connection was closed.
  bool Flush(Connection& connection) {
    size_t written = 0;
    while (written < connection.out.size()) {
      const ssize_t put =
          ::write(connection.fd, connection.out.data() + written, connection.out.size() - written);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0 && errno == EAGAIN) break;
      if (put < 0) {
        Close(connection.fd);
        return false;
      }
      written += static_cast<size_t>(put);
    }
    connection.out.erase(0, written);
    if (connection.out.empty() && connection.close_after_write) {
      Close(connection.fd);
      return false;
    }
    epoll_event event{};
    event.events = connection.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT;
    event.data.fd = connection.fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
    return true;
  }

  void Close(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections_.erase(fd);
  }

  int epoll_fd_;
  int listen_fd_;
  int signal_fd_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

int Listen(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, SOMAXCONN) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

using vpvm::bench::WriteAddressFile;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s ADDRESS_FILE\n", argv[0]);
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  const int signal_fd = ::signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);

  int port = 0;
  const int listen_fd = Listen(&port);
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (signal_fd < 0 || listen_fd < 0 || epoll_fd < 0) {
    std::perror("epoll_responder: cannot listen on 127.0.0.1");
    return 1;
  }
  for (int fd : {listen_fd, signal_fd}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  }
  if (!WriteAddressFile(argv[1], port)) {
    std::fprintf(stderr, "epoll_responder: cannot write %s\n", argv[1]);
    return 1;
  }

  Responder(epoll_fd, listen_fd, signal_fd).Run();
  ::unlink(argv[1]);
  return 0;
}
