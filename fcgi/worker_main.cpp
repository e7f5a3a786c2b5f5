// deepgate-fcgi: the FastCGI worker. `deepgate-fcgi --config FILE` (or --check-config FILE).
//
// Threads: main (becomes the signal thread), N acceptors (AcceptorPool), the model loader,
// the purge loop, the watchdog. Start-up is fcgi/server/worker_server.h, in order.
#include <cstdio>
#include <cstring>
#include <string>

#include "fcgi/config.h"
#include "fcgi/server/worker_log.h"
#include "fcgi/server/worker_server.h"

namespace deepgate::fcgi {
namespace {

int Usage() {
  std::fprintf(stderr, "usage: deepgate-fcgi --config FILE\n       deepgate-fcgi --check-config FILE\n");
  return 2;
}

int Serve(const std::string& config_path) {
  Result<WorkerConfig> config = LoadConfig(config_path);
  if (!config.ok()) {
    WorkerLog(config.status().message());
    return 2;
  }
  sigset_t control;
  if (!PrepareProcess(&control)) return 1;
  int exit_code = 1;
  std::unique_ptr<WorkerServer> server = BuildServer(*config, config_path, &exit_code);
  if (!server) return exit_code;
  RunSignalLoop(*server, control);
  return Shutdown(*server);
}

int CheckConfig(const std::string& path) {
  Result<WorkerConfig> config = LoadConfig(path);
  if (!config.ok()) {
    WorkerLog(config.status().message());
    return 2;
  }
  std::printf("%s: ok (model '%s')\n", path.c_str(), EffectiveModelId(*config).c_str());
  return 0;
}

}  // namespace
}  // namespace deepgate::fcgi

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) return deepgate::fcgi::Serve(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--check-config") == 0) return deepgate::fcgi::CheckConfig(argv[2]);
  return deepgate::fcgi::Usage();
}
