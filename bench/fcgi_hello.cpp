// The "bare FastCGI hello-world" of the gateway bench (bench/serve_bench.sh): libfcgi,
// N acceptor threads on one unix socket, each answering every request with the same small
// JSON and nothing else — no parsing, credentials, policy, audit or metrics. nginx → this is
// the floor that nginx → deepgate-fcgi is compared with.
//
//   fcgi_hello SOCKET [THREADS]
#include <fcgiapp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr char kResponse[] =
    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"object\":\"list\",\"data\":[]}\n";

void Serve(int fd) {
  FCGX_Request request;
  if (FCGX_InitRequest(&request, fd, 0) != 0) return;
  while (FCGX_Accept_r(&request) >= 0) {
    FCGX_PutStr(kResponse, sizeof kResponse - 1, request.out);
    FCGX_Finish_r(&request);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fcgi_hello SOCKET [THREADS]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 16;
  if (FCGX_Init() != 0) return 1;
  // libfcgi catches SIGTERM/SIGUSR1 only to flag a shutdown that a blocked accept never sees
  // (../shared/ENVIRONMENT.md): put the default back so `kill` ends the bench's baseline.
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGUSR1, SIG_DFL);
  ::unlink(argv[1]);
  const int fd = FCGX_OpenSocket(argv[1], 128);
  if (fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  ::chmod(argv[1], 0666);  // bench only: nginx's workers may run as another user
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(Serve, fd);
  for (auto& t : pool) t.join();
  return 0;
}
