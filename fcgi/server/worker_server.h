// WorkerServer: the deepgate-fcgi worker, assembled. Start-up reads as a list:
//   PrepareProcess (signals, libfcgi) → BuildServer(config) → RunSignalLoop → Shutdown.
// Members are declared in the order they are built, so destruction runs the other way: the
// acceptor pool stops before the pipeline it calls, the purge loop before the cache it
// purges, the model service (and its loader thread) before the report it calls back.
// Thread-safety: built and shut down on the main (signal) thread; the parts it owns are
// shared with the acceptor, loader and purge threads as their own headers say.
#pragma once

#include <signal.h>

#include <memory>
#include <string>

#include "fcgi/audit/journal_audit_sink.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/auth/auth_context.h"
#include "fcgi/audit/journal_reader.h"
#include "fcgi/auth/clock.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/config.h"
#include "fcgi/http/router.h"
#include "fcgi/metrics/worker_metrics.h"
#include "fcgi/policy/clock.h"
#include "fcgi/policy/engine_share.h"
#include "fcgi/policy/policy_admission.h"
#include "fcgi/server/acceptor_pool.h"
#include "fcgi/server/listen_socket.h"
#include "fcgi/server/live_config.h"
#include "fcgi/server/model_load_report.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/pipeline.h"
#include "fcgi/server/purge_loop.h"
#include "fcgi/server/redis_setup.h"
#include "fcgi/server/systemd_notifier.h"

namespace deepgate::fcgi {

struct WorkerServer {
  WorkerServer(WorkerConfig c, std::string path) : config(std::move(c)), config_path(std::move(path)) {}

  const WorkerConfig config;
  const std::string config_path;  // re-read on SIGHUP
  policy::SteadyClock policy_clock;
  auth::SystemClock auth_clock;
  metrics::WorkerMetrics metrics;             // fed by the audit sink's wrapper and the token timings
  policy::EngineShare engine_share;           // each subject's share of the engine; outlives every request
  std::unique_ptr<RedisState> redis;          // null: no Redis configured; outlives the stages using it
  PipelineStages stages;                      // moved into `pipeline` once complete
  audit::JournalAuditSink* audit = nullptr;   // owned by the pipeline's stages
  policy::PolicyAdmission* policy = nullptr;  // owned by the pipeline's stages
  std::unique_ptr<auth::AuthContext> credentials;
  std::unique_ptr<audit::SubjectPseudonyms> pseudonyms;
  std::unique_ptr<cache::ResponseCache> cache;  // null when "cache" is disabled
  std::unique_ptr<PurgeLoop> purges;
  std::unique_ptr<audit::SdAuditJournal> audit_journal;  // GET /admin/audit, /admin/usage, /me/usage
  ListenSocket socket;
  std::unique_ptr<LiveConfig> live;
  SystemdNotifier notifier;
  std::unique_ptr<ModelService> models;
  std::unique_ptr<ModelLoadReport> load_report;
  Router router;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<AcceptorPool> pool;
};

// Blocks TERM/INT/HUP/USR1 in this thread (and so in every thread started later; they are
// taken with sigwait by RunSignalLoop, so libfcgi's own SIGTERM handler never runs), ignores
// SIGPIPE and initialises libfcgi. Call before anything starts a thread. False: logged.
bool PrepareProcess(sigset_t* control);

// Builds every part and starts serving (acceptors, model load, watchdog). On failure logs
// why, sets *exit_code (2 for a config or credential problem, 1 otherwise) and returns null.
std::unique_ptr<WorkerServer> BuildServer(const WorkerConfig& config, const std::string& config_path, int* exit_code);

// Waits for signals: HUP reloads the config, TERM/INT return; wakes every minute for the
// daily key-expiry warnings.
void RunSignalLoop(WorkerServer& server, const sigset_t& control);

// Stops accepting, gives in-flight requests the shutdown deadline, then cancels them; returns
// the exit code (1 when the model failed to load). Leaves with _Exit when a thread cannot be
// stopped (an uncancellable load, a wedged request).
int Shutdown(WorkerServer& server);

}  // namespace deepgate::fcgi
