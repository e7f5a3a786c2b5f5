// deepgate-fcgi: the FastCGI worker. `deepgate-fcgi --config FILE` (or --check-config FILE).
//
// Threads: main (becomes the signal thread), N acceptors (AcceptorPool), the model loader,
// the watchdog. TERM/INT/HUP are blocked in every thread before any starts and taken with
// sigwait here, so libfcgi's own SIGTERM handler (which only sets a flag) never runs.
#include <fcgiapp.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "fcgi/api/admin_cache.h"
#include "fcgi/api/admin_keys.h"
#include "fcgi/api/engine_routes.h"
#include "fcgi/api/health.h"
#include "fcgi/api/metrics_route.h"
#include "fcgi/api/models.h"
#include "fcgi/api/oauth_token.h"
#include "fcgi/api/test_routes.h"
#include "fcgi/audit/journal_audit_sink.h"
#include "fcgi/audit/key_events.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/config.h"
#include "fcgi/metrics/metrics_audit_sink.h"
#include "fcgi/metrics/worker_metrics.h"
#include "fcgi/policy/policy_admission.h"
#include "fcgi/server/acceptor_pool.h"
#include "fcgi/server/fcgx_stream.h"
#include "fcgi/server/listen_socket.h"
#include "fcgi/server/live_config.h"
#include "fcgi/server/model_loader.h"
#include "fcgi/server/pipeline.h"
#include "fcgi/server/systemd_notifier.h"

namespace deepgate::fcgi {
namespace {

using Clock = std::chrono::steady_clock;

void Log(const std::string& line) { std::fprintf(stderr, "deepgate-fcgi: %s\n", line.c_str()); }

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

int Usage() {
  std::fprintf(stderr, "usage: deepgate-fcgi --config FILE\n       deepgate-fcgi --check-config FILE\n");
  return 2;
}

// The security stages the worker runs with, and the handles Reload and shutdown need.
struct Security {
  policy::SteadyClock clock;
  policy::PolicyAdmission* policy = nullptr;  // owned by the pipeline's stages
  audit::JournalAuditSink* audit = nullptr;   // owned by the pipeline's stages
  metrics::WorkerMetrics metrics;             // fed by the audit sink's wrapper and the token timings
};

// Audit first: with audit.required, no journald means no start (sd_journal_send would
// drop every entry without an error).
Result<PipelineStages> BuildStages(const WorkerConfig& config, Security& security) {
  const bool journal = audit::JournalSocketPresent();
  if (config.audit.required && !journal)
    return Status::Unavailable(std::string("audit.required is set but journald is not listening at ") +
                               audit::kJournalSocket + "; start systemd-journald or set \"audit\": {\"required\": false}");
  if (!journal) Log(std::string("audit: no journald at ") + audit::kJournalSocket + "; audit entries go to stderr only");
  PipelineStages stages;
  auto sink = std::make_unique<audit::JournalAuditSink>(
      journal ? std::make_unique<audit::SdJournalWriter>() : nullptr, config.audit.stderr_lines);
  security.audit = sink.get();
  // Every audit record is counted into /metrics on its way to the journal.
  stages.audit = std::make_unique<metrics::MetricsAuditSink>(std::move(sink), security.metrics);
  DG_ASSIGN_OR_RETURN(std::unique_ptr<policy::PolicyAdmission> admission,
                      policy::PolicyAdmission::Create(config, security.clock));
  security.policy = admission.get();
  stages.admission = std::move(admission);
  return stages;
}

void AuditEventNow(const Security& security, AuditEvent event, const std::string& message) {
  AuditRecord r;
  r.event = event;
  r.message = message;
  security.audit->Record(r);
}

void Reload(const std::string& path, LiveConfig& live, SystemdNotifier& notifier, const Security& security) {
  notifier.Reloading();
  Result<WorkerConfig> next = LoadConfig(path);
  if (!next.ok()) {
    Log("reload failed, keeping the current config: " + next.status().message());
  } else if (Status s = security.policy->Reload(*next); !s.ok()) {
    // Country rules must not go half-applied: keep everything as it was.
    Log("reload failed, keeping the current config: " + s.message());
  } else {
    ConfigChanges c = live.Reload(*next);
    if (c.applied.empty() && c.need_restart.empty()) Log("reload: no changes");
    if (!c.applied.empty()) Log("reload: applied " + Join(c.applied));
    if (!c.need_restart.empty()) Log("reload: needs a restart to change " + Join(c.need_restart));
    AuditEventNow(security, AuditEvent::kConfigReloaded,
                  "config reloaded (GeoIP database reopened)" +
                      (c.applied.empty() ? std::string() : "; applied " + Join(c.applied)));
  }
  notifier.Ready();
}

int Serve(const std::string& config_path) {
  Result<WorkerConfig> loaded = LoadConfig(config_path);
  if (!loaded.ok()) {
    Log(loaded.status().message());
    return 2;
  }
  const WorkerConfig config = *loaded;
  Security security;
  Result<PipelineStages> stages = BuildStages(config, security);
  if (!stages.ok()) {
    Log(stages.status().message());
    return 1;
  }

  // Credentials first: a worker that cannot check them (missing or world-readable secret,
  // unreadable key store) must not start serving.
  static const auth::SystemClock clock;
  Result<std::unique_ptr<auth::AuthContext>> opened = auth::OpenAuth(config.auth, clock);
  if (!opened.ok()) {
    Log("auth: " + opened.status().message());
    return 2;
  }
  const std::unique_ptr<auth::AuthContext> credentials = std::move(opened).value();
  if (!config.auth.required) Log("auth.required is false: requests without credentials are served as anonymous");

  // --- data-subject erasure: pseudonymous SUBJECTs and the purge queue (DESIGN: erasure) ---
  audit::SubjectPseudonyms pseudonyms(*credentials->store, [] { return clock.NowUnix(); });
  security.audit->SetPseudonyms(&pseudonyms);
  // Erasure and `deepgate cache purge` queue purges in the key store; the follower hands them
  // to the response cache (built below, so reached through this pointer).
  cache::ResponseCache* cache_for_purges = nullptr;
  std::function<void(const std::string&)> on_cache_purge = [&cache_for_purges](const std::string& subject) {
    if (cache_for_purges == nullptr) return;
    const size_t n = subject.empty() ? cache_for_purges->PurgeAll() : cache_for_purges->PurgeSubject(subject);
    Log("cache purge" + std::string(subject.empty() ? " (all)" : " (one subject)") + ": " + std::to_string(n) +
        " entries dropped");
  };
  audit::PurgeFollower purges(*credentials->store, &pseudonyms, on_cache_purge);
  if (Status s = purges.Start(); !s.ok()) Log("erasure: cannot read the purge queue: " + s.message());
  std::atomic<bool> stop_purges{false};
  std::thread purge_thread([&] {
    while (!stop_purges) {
      if (Result<int> n = purges.Poll(); n.ok() && *n > 0) Log("erasure: applied " + std::to_string(*n) + " purge(s)");
      for (int i = 0; i < 10 && !stop_purges; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::thread& t;
    ~JoinOnExit() {
      stop = true;
      t.join();
    }
  } join_purges{stop_purges, purge_thread};
  if (config.models.size() > 1)
    Log("models: " + std::to_string(config.models.size()) + " listed; this worker serves one at a time: '" +
        EffectiveModelId(config) + "'");

  sigset_t control;
  sigemptyset(&control);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&control, s);
  pthread_sigmask(SIG_BLOCK, &control, nullptr);  // inherited by every thread started below
  std::signal(SIGPIPE, SIG_IGN);                  // a gone peer is EPIPE, not death
  AcceptorPool::InstallWakeHandler();
  if (FCGX_Init() != 0) {
    Log("FCGX_Init failed");
    return 1;
  }

  Result<ListenSocket> socket = OpenListenSocket(config);
  if (!socket.ok()) {
    Log(socket.status().message());
    return 1;
  }
  Log(socket->from_systemd ? "listening on the socket systemd passed" : "listening on " + socket->path);

  LiveConfig live(config);
  SystemdNotifier notifier;
  ModelService models(config, GgufModelLoader());
  Router router;
  AddHealthRoutes(router, models);
  AddModelRoutes(router, models);
  // Response cache (config "cache"): built once, purged by POST /admin/cache/purge.
  std::unique_ptr<cache::ResponseCache> response_cache;
  if (config.cache.enabled)
    response_cache = std::make_unique<cache::ResponseCache>(
        cache::ResponseCacheOptions{std::chrono::seconds(config.cache.ttl_s), config.cache.max_bytes}, security.clock);
  AddEngineRoutes(router, models, response_cache.get(),
                  config.cache.shared ? cache::CacheScope::kShared : cache::CacheScope::kKey, &security.metrics);
  if (response_cache) AddAdminCacheRoutes(router, *response_cache);
  cache_for_purges = response_cache.get();
  AddMetricsRoute(router, {&security.metrics, &models, security.audit, response_cache.get()});
  if (const char* t = std::getenv("DEEPGATE_FCGI_TEST_ROUTES"); t && std::string(t) == "1") {
    Log("test routes enabled (DEEPGATE_FCGI_TEST_ROUTES=1)");
    AddTestRoutes(router);
  }
  AddAdminKeyRoutes(router, *credentials, *security.audit);
  AddOAuthTokenRoute(router, *credentials);
  stages->authenticator = std::make_unique<auth::BearerAuthenticator>(*credentials);
  stages->authoriser = std::make_unique<auth::RoleAuthoriser>(credentials->roles, config.auth.required);
  Pipeline pipeline(router, std::move(stages).value());

  AcceptorPool pool(
      socket->fd, !socket->from_systemd, config.acceptor_threads,
      [&](FCGX_Request& request, const std::atomic<bool>& cancel) {
        FcgxRequestSource source(request);
        FcgxByteSink sink(request);
        pipeline.Serve(source, sink, *live.Get(), cancel);
      },
      [&](FCGX_Request& request) {
        FcgxRequestSource source(request);
        FcgxByteSink sink(request);
        auto cfg = live.Get();
        pipeline.Refuse(source, sink, *cfg,
                        ApiError::Unavailable("The server is shutting down", "shutting_down", cfg->retry_after_s));
      });
  pool.Start();
  if (config.watchdog) notifier.StartWatchdog();

  std::atomic<bool> load_failed{false};
  const auto load_start = Clock::now();
  notifier.Status("loading model " + config.model_path);
  models.StartLoading([&](const Status& s) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - load_start).count();
    if (s.ok()) {
      std::string what = "model '" + EffectiveModelId(config) + "'";
      if (auto m = models.model()) what += " (" + m->info().arch + ", " + std::to_string(m->info().n_params) + " params)";
      else what += " (no engine: generation answers 503)";
      Log(what + " ready in " + std::to_string(ms) + " ms");
      AuditEventNow(security, AuditEvent::kModelLoaded, what + " loaded");
      notifier.Ready();
    } else if (std::optional<Refusal> rejected = models.rejection()) {
      // Not served, but the worker stays up: /ready answers 503 and generation
      // model_unavailable until an operator fixes the file or the manifest and restarts.
      const std::string why = AuditReason(*rejected) + ": " + s.message();
      Log("model rejected: " + why);
      AuditRecord r;
      r.event = AuditEvent::kModelRejected;
      r.reason = AuditReason(*rejected);
      r.model = EffectiveModelId(config);
      r.message = "model '" + EffectiveModelId(config) + "' rejected: " + why;
      security.audit->Record(r);
      // READY so systemd does not restart it in a loop; STATUS says why nothing is served.
      notifier.Status("model rejected (sha256 mismatch); not serving");
      notifier.Ready();
    } else {
      Log("model load failed: " + s.ToString());
      load_failed = true;
      ::kill(::getpid(), SIGTERM);  // the signal thread below runs the one shutdown path
    }
  });

  // The signal loop wakes every minute for the daily key-expiry warnings.
  audit::KeyExpiryWarner expiry(*credentials->store, *security.audit,
                                int64_t{config.auth.expiry_warning_days} * 86400);
  for (;;) {
    if (config.auth.expiry_warning_days > 0) expiry.Check(clock.NowUnix());
    const timespec minute{60, 0};
    const int sig = sigtimedwait(&control, nullptr, &minute);
    if (sig < 0) continue;  // EAGAIN (the minute passed) or EINTR
    if (sig == SIGHUP) {
      Reload(config_path, live, notifier, security);
      continue;
    }
    if (sig == SIGUSR1) continue;  // libfcgi's "graceful restart" signal: ignored
    Log(std::string("received ") + strsignal(sig) + ", shutting down");
    break;
  }

  notifier.Stopping();
  Log("audit: " + std::to_string(security.audit->entries()) + " journal entries, " +
      std::to_string(security.audit->send_errors()) + " journal send errors, " +
      std::to_string(security.policy->anomalies()) + " anomalies");
  pool.StopAccepting();
  const int deadline_ms = live.Get()->shutdown_deadline_ms;
  if (!pool.WaitForInFlight(Clock::now() + std::chrono::milliseconds(deadline_ms))) {
    Log(std::to_string(pool.in_flight()) + " request(s) still running after " + std::to_string(deadline_ms) +
        " ms; cancelling");
    pool.CancelInFlight();
  }
  // A cancelled request needs a moment to notice; a thread stuck beyond that is abandoned.
  const bool joined = pool.Join(Clock::now() + std::chrono::seconds(2));
  if (!socket->path.empty()) ::unlink(socket->path.c_str());
  const int code = load_failed ? 1 : 0;
  if (!joined || models.state() == ModelState::kLoading) {
    // A thread we cannot stop (an uncancellable load, a wedged request): leave without
    // running destructors that would wait for it.
    Log("exiting with work still running");
    std::fflush(stderr);
    std::_Exit(code);
  }
  Log("stopped");
  return code;
}

}  // namespace
}  // namespace deepgate::fcgi

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--config") == 0) return deepgate::fcgi::Serve(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--check-config") == 0) {
    auto config = deepgate::fcgi::LoadConfig(argv[2]);
    if (!config.ok()) {
      std::fprintf(stderr, "deepgate-fcgi: %s\n", config.status().message().c_str());
      return 2;
    }
    std::printf("%s: ok (model '%s')\n", argv[2], deepgate::fcgi::EffectiveModelId(*config).c_str());
    return 0;
  }
  return deepgate::fcgi::Usage();
}
