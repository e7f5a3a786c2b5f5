#include "fcgi/server/worker_server.h"

#include <fcgiapp.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "fcgi/api/admin_audit.h"
#include "fcgi/api/admin_cache.h"
#include "fcgi/api/admin_keys.h"
#include "fcgi/api/engine_routes.h"
#include "fcgi/api/health.h"
#include "fcgi/api/metrics_route.h"
#include "fcgi/api/models.h"
#include "fcgi/api/oauth_token.h"
#include "fcgi/api/test_routes.h"
#include "fcgi/audit/key_events.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/store/open_key_store.h"
#include "fcgi/metrics/metrics_audit_sink.h"
#include "fcgi/server/fcgx_stream.h"
#include "fcgi/server/model_loader.h"
#include "fcgi/server/worker_log.h"

namespace deepgate::fcgi {
namespace {

using Clock = std::chrono::steady_clock;

// Audit first: with audit.required, no journald means no start (sd_journal_send would
// drop every entry without an error). Every record is counted into /metrics on its way.
Status BuildAuditAndPolicy(WorkerServer& s) {
  const bool journal = audit::JournalSocketPresent();
  if (s.config.audit.required && !journal)
    return Status::Unavailable(std::string("audit.required is set but journald is not listening at ") +
                               audit::kJournalSocket +
                               "; start systemd-journald or set \"audit\": {\"required\": false}");
  if (!journal)
    WorkerLog(std::string("audit: no journald at ") + audit::kJournalSocket + "; audit entries go to stderr only");
  auto sink = std::make_unique<audit::JournalAuditSink>(
      journal ? std::make_unique<audit::SdJournalWriter>() : nullptr, s.config.audit.stderr_lines);
  s.audit = sink.get();
  s.stages.audit = std::make_unique<metrics::MetricsAuditSink>(std::move(sink), s.metrics);
  DG_ASSIGN_OR_RETURN(s.redis, OpenRedis(s.config));
  DG_ASSIGN_OR_RETURN(std::unique_ptr<policy::PolicyAdmission> admission,
                      policy::PolicyAdmission::Create(s.config, s.policy_clock, policy::DefaultLimits,
                                                      MakeLimits(s.config, s.redis.get(), s.policy_clock)));
  s.policy = admission.get();
  s.stages.admission = std::move(admission);
  return Status::Ok();
}

// Credentials: a worker that cannot check them (missing or world-readable secret, unreadable
// key store) must not start serving. Then the erasure side: pseudonymous SUBJECTs.
Status BuildCredentials(WorkerServer& s) {
  Result<store::StoreUrl> url = store::ParseStoreUrl(s.config.store.url, s.config.auth.key_store);
  if (!url.ok()) return url.status().WithContext("store");
  store::OpenOptions options;
  options.listen = true;  // other hosts' revocations and purges reach this worker at once
  if (audit::JournalSocketPresent()) options.journal = std::make_unique<audit::SdJournalWriter>();
  Result<std::unique_ptr<auth::KeyStore>> key_store = store::OpenKeyStore(*url, s.config.store, std::move(options));
  if (!key_store.ok()) return key_store.status().WithContext("store");
  WorkerLog(std::string("key store: ") + (url->postgres ? "postgres" : "sqlite " + url->path));
  Result<std::unique_ptr<auth::AuthContext>> opened =
      auth::OpenAuth(s.config.auth, s.auth_clock, std::move(key_store).value());
  if (!opened.ok()) return opened.status().WithContext("auth");
  s.credentials = std::move(opened).value();
  if (!s.config.auth.required)
    WorkerLog("auth.required is false: requests without credentials are served as anonymous");
  const auth::WallClock& clock = s.auth_clock;
  s.pseudonyms =
      std::make_unique<audit::SubjectPseudonyms>(*s.credentials->store, [&clock] { return clock.NowUnix(); });
  s.audit->SetPseudonyms(s.pseudonyms.get());
  s.stages.authenticator = std::make_unique<auth::BearerAuthenticator>(*s.credentials);
  s.stages.authoriser = std::make_unique<auth::RoleAuthoriser>(s.credentials->roles, s.config.auth.required);
  return Status::Ok();
}

// Response cache (config "cache"): built once, purged by POST /admin/cache/purge and by the
// purge loop.
void BuildCache(WorkerServer& s) {
  if (s.config.cache.enabled)
    s.cache = std::make_unique<cache::ResponseCache>(
        cache::ResponseCacheOptions{std::chrono::seconds(s.config.cache.ttl_s), s.config.cache.max_bytes,
                                    s.config.cache.max_entry_bytes},
        s.policy_clock, MakeSharedCacheStore(s.config, s.redis.get()));
  s.purges = std::make_unique<PurgeLoop>(*s.credentials->store, *s.pseudonyms, s.cache.get());
}

void AddRoutes(WorkerServer& s) {
  Router& router = s.router;
  s.audit_journal = std::make_unique<audit::SdAuditJournal>(s.config.audit.journal_namespace);
  AddHealthRoutes(router, *s.models, s.credentials->store.get(), s.redis.get());
  AddModelRoutes(router, *s.models);
  AddEngineRoutes(router, *s.models, s.engine_share, s.cache.get(),
                  s.config.cache.shared ? cache::CacheScope::kShared : cache::CacheScope::kKey, &s.metrics);
  if (s.cache) AddAdminCacheRoutes(router, *s.cache, s.credentials->store.get());
  AddMetricsRoute(router, {&s.metrics, s.models.get(), s.audit, s.cache.get(), s.credentials->store.get(),
                           s.redis ? s.redis->health.get() : nullptr});
  if (const char* t = std::getenv("DEEPGATE_FCGI_TEST_ROUTES"); t && std::string(t) == "1") {
    WorkerLog("test routes enabled (DEEPGATE_FCGI_TEST_ROUTES=1)");
    AddTestRoutes(router);
  }
  // The audit trail read back (GET /admin/audit, /admin/usage, /me/usage; keys' last use).
  AddAdminAuditRoutes(router, *s.audit_journal, s.auth_clock);
  AddAdminKeyRoutes(router, *s.credentials, *s.audit, s.audit_journal.get());
  AddOAuthTokenRoute(router, *s.credentials);
}

// Acceptor threads: each request goes through the pipeline with this moment's config; a
// request that arrives while shutting down is answered 503.
void StartAcceptors(WorkerServer& s) {
  Pipeline& pipeline = *s.pipeline;
  LiveConfig& live = *s.live;
  s.pool = std::make_unique<AcceptorPool>(
      s.socket.fd, !s.socket.from_systemd, s.config.acceptor_threads,
      [&pipeline, &live](FCGX_Request& request, const std::atomic<bool>& cancel) {
        FcgxRequestSource source(request);
        auto cfg = live.Get();
        FcgxByteSink sink(request, cfg->write_timeout_ms);
        pipeline.Serve(source, sink, *cfg, cancel);
      },
      [&pipeline, &live](FCGX_Request& request) {
        FcgxRequestSource source(request);
        FcgxByteSink sink(request);
        auto cfg = live.Get();
        pipeline.Refuse(source, sink, *cfg,
                        ApiError::Unavailable("The server is shutting down", "shutting_down", cfg->retry_after_s));
      });
  s.pool->Start();
}

void StartModelLoad(WorkerServer& s) {
  s.load_report = std::make_unique<ModelLoadReport>(s.config, *s.models, *s.audit, s.notifier);
  s.load_report->Started();
  ModelLoadReport& report = *s.load_report;
  s.models->StartLoading([&report](const Status& status) { report.OnDone(status); });
}

void AuditEventNow(WorkerServer& s, AuditEvent event, const std::string& message) {
  AuditRecord r;
  r.event = event;
  r.message = message;
  s.audit->Record(r);
}

void Reload(WorkerServer& s) {
  s.notifier.Reloading();
  Result<WorkerConfig> next = LoadConfig(s.config_path);
  if (!next.ok()) {
    WorkerLog("reload failed, keeping the current config: " + next.status().message());
  } else if (Status st = s.policy->Reload(*next); !st.ok()) {
    // Country rules must not go half-applied: keep everything as it was.
    WorkerLog("reload failed, keeping the current config: " + st.message());
  } else {
    ConfigChanges c = s.live->Reload(*next);
    if (c.applied.empty() && c.need_restart.empty()) WorkerLog("reload: no changes");
    if (!c.applied.empty()) WorkerLog("reload: applied " + JoinWords(c.applied));
    if (!c.need_restart.empty()) WorkerLog("reload: needs a restart to change " + JoinWords(c.need_restart));
    AuditEventNow(s, AuditEvent::kConfigReloaded,
                  "config reloaded (GeoIP database reopened)" +
                      (c.applied.empty() ? std::string() : "; applied " + JoinWords(c.applied)));
  }
  s.notifier.Ready();
}

}  // namespace

bool PrepareProcess(sigset_t* control) {
  sigemptyset(control);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(control, sig);
  pthread_sigmask(SIG_BLOCK, control, nullptr);  // inherited by every thread started later
  std::signal(SIGPIPE, SIG_IGN);                 // a gone peer is EPIPE, not death
  AcceptorPool::InstallWakeHandler();
  if (FCGX_Init() != 0) {
    WorkerLog("FCGX_Init failed");
    return false;
  }
  return true;
}

std::unique_ptr<WorkerServer> BuildServer(const WorkerConfig& config, const std::string& config_path, int* exit_code) {
  auto s = std::make_unique<WorkerServer>(config, config_path);
  auto fail = [&](const Status& why, int code) {
    WorkerLog(why.message());
    *exit_code = code;
    return nullptr;
  };
  if (Status st = BuildAuditAndPolicy(*s); !st.ok()) return fail(st, 1);
  if (Status st = BuildCredentials(*s); !st.ok()) return fail(st, 2);
  BuildCache(*s);
  if (config.models.size() > 1)
    WorkerLog("models: " + std::to_string(config.models.size()) + " listed; this worker serves one at a time: '" +
              EffectiveModelId(config) + "'");
  Result<ListenSocket> socket = OpenListenSocket(config);
  if (!socket.ok()) return fail(socket.status(), 1);
  s->socket = *socket;
  WorkerLog(s->socket.from_systemd ? "listening on the socket systemd passed" : "listening on " + s->socket.path);
  s->live = std::make_unique<LiveConfig>(config);
  s->models = std::make_unique<ModelService>(config, GgufModelLoader());
  AddRoutes(*s);
  s->pipeline = std::make_unique<Pipeline>(s->router, std::move(s->stages));
  StartAcceptors(*s);
  if (config.watchdog) s->notifier.StartWatchdog();
  StartModelLoad(*s);
  return s;
}

void RunSignalLoop(WorkerServer& s, const sigset_t& control) {
  audit::KeyExpiryWarner expiry(*s.credentials->store, *s.audit, int64_t{s.config.auth.expiry_warning_days} * 86400);
  for (;;) {
    if (s.config.auth.expiry_warning_days > 0) expiry.Check(s.auth_clock.NowUnix());
    const timespec minute{60, 0};
    const int sig = sigtimedwait(&control, nullptr, &minute);
    if (sig < 0) continue;  // EAGAIN (the minute passed) or EINTR
    if (sig == SIGHUP) {
      Reload(s);
      continue;
    }
    if (sig == SIGUSR1) continue;  // libfcgi's "graceful restart" signal: ignored
    WorkerLog(std::string("received ") + strsignal(sig) + ", shutting down");
    return;
  }
}

int Shutdown(WorkerServer& s) {
  s.notifier.Stopping();
  WorkerLog("audit: " + std::to_string(s.audit->entries()) + " journal entries, " +
            std::to_string(s.audit->send_errors()) + " journal send errors, " + std::to_string(s.policy->anomalies()) +
            " anomalies");
  AcceptorPool& pool = *s.pool;
  pool.StopAccepting();
  const int deadline_ms = s.live->Get()->shutdown_deadline_ms;
  if (!pool.WaitForInFlight(Clock::now() + std::chrono::milliseconds(deadline_ms))) {
    WorkerLog(std::to_string(pool.in_flight()) + " request(s) still running after " + std::to_string(deadline_ms) +
              " ms; cancelling");
    pool.CancelInFlight();
  }
  // A cancelled request needs a moment to notice; a thread stuck beyond that is abandoned.
  const bool joined = pool.Join(Clock::now() + std::chrono::seconds(2));
  if (!s.socket.path.empty()) ::unlink(s.socket.path.c_str());
  const int code = s.load_report->failed() ? 1 : 0;
  if (!joined || s.models->state() == ModelState::kLoading) {
    // A thread we cannot stop: leave without running destructors that would wait for it.
    WorkerLog("exiting with work still running");
    std::fflush(stderr);
    std::_Exit(code);
  }
  WorkerLog("stopped");
  return code;
}

}  // namespace deepgate::fcgi
