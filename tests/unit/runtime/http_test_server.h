// A loopback HTTP server for tests (cpp-httplib), on 127.0.0.1 and a free port, stopped and
// joined by the destructor.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace writ::runtime::testing {

struct SeenRequest {
  std::string method, path, body, authorization, idempotency_key, content_type;
};

class TestServer {
 public:
  TestServer() { port_ = server.bind_to_any_port("127.0.0.1"); }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  void start() {
    thread_ = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int port() const { return port_; }

  void record(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    seen_.push_back({req.method, req.path, req.body, req.get_header_value("Authorization"), req.get_header_value("Idempotency-Key"),
                     req.get_header_value("Content-Type")});
  }
  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  httplib::Server server;

 private:
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;
};

// A port nothing listens on: bound (not listened on) and released.
inline int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace writ::runtime::testing
