// A real redis-server for one test: unix socket in a fresh temp dir, no persistence
// (--save '' --appendonly no), started by fork/exec and stopped (SIGTERM, reaped) when the
// object goes. Tests skip loudly only when the redis-server binary is missing.
#pragma once

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace deepgate::testing {

inline std::string RedisServerBinary() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

class RedisTestServer {
 public:
  // `extra`: more redis-server arguments ("--requirepass", "...").
  explicit RedisTestServer(const std::string& tag, std::vector<std::string> extra = {})
      : dir_(TempDir("redis-" + tag)), socket_((dir_ / "redis.sock").string()), extra_(std::move(extra)) {
    // A write to a Redis that went away raises SIGPIPE; the worker ignores it (PrepareProcess),
    // and so must this test process.
    ::signal(SIGPIPE, SIG_IGN);
  }
  ~RedisTestServer() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  // True when the server accepts connections on socket() within 5 s.
  bool Start() {
    const std::string bin = RedisServerBinary();
    std::vector<std::string> args{bin, "--port", "0", "--unixsocket", socket_, "--unixsocketperm", "600",
                                  "--save", "", "--appendonly", "no", "--dir", dir_.string(),
                                  "--logfile", (dir_ / "redis.log").string()};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500; ++i) {
      if (Accepts()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // The socket file appears at bind(), before listen(): ready means a connect succeeds.
  bool Accepts() const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_.c_str());
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::kill(pid_, SIGCONT);  // a paused server handles SIGTERM only once it runs
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    std::filesystem::remove(socket_);
  }
  // Freezes / thaws the server (a hung Redis: connections accepted by the kernel, no answers).
  void Pause() { ::kill(pid_, SIGSTOP); }
  void Resume() { ::kill(pid_, SIGCONT); }

  const std::string& socket() const { return socket_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::string socket_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace deepgate::testing

// Starts `server` or skips the test loudly when redis-server is not installed.
#define DG_START_REDIS(server)                                                                     \
  do {                                                                                             \
    if (deepgate::testing::RedisServerBinary().empty())                                            \
      GTEST_SKIP() << "*** redis-server NOT INSTALLED (apt-get install redis-server): Redis tests NOT run ***"; \
    ASSERT_TRUE((server).Start()) << "redis-server did not start; see " << (server).dir() / "redis.log"; \
  } while (0)
