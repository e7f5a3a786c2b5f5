// The policy stage inside the pipeline, over fakes: 429 + Retry-After + x-ratelimit-*,
// tokens charged from the handler's usage, 403 country_blocked, trusted-proxy addresses,
// anomaly events, refusal reasons reaching the audit record, reload; and the policy config.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "fcgi/policy/policy_admission.h"
#include "fcgi/server/pipeline.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi {
namespace {

using policy::ManualClock;
using policy::PolicyAdmission;
using testing::FakeSink;
using testing::FakeSource;

class Recording final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

std::string LoopbackMmdb() {
  static const std::string path = [] {
    const auto out = std::filesystem::temp_directory_path() / ("deepgate-adm-" + std::to_string(::getpid()) + ".mmdb");
    const std::string cmd = std::string("perl ") + DEEPGATE_TEST_SOURCE_DIR +
                            "/tests/integration/make_loopback_mmdb.pl " + out.string() + " 2>/dev/null";
    return std::system(cmd.c_str()) == 0 ? out.string() : std::string();
  }();
  return path;
}

class RefusingAuth final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request&, Principal*) override {
    return Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated("Invalid API key"), "key_revoked",
                   "0123456789abcdef");
  }
};

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() {
    config_.model_path = "/m.gguf";
    router_.Add({"GET", "/x", "x", false, [this](RequestContext& ctx, ResponseWriter& out) {
                   ctx.usage.model = "m";
                   ctx.usage.prompt_tokens = prompt_tokens_;
                   ctx.usage.completion_tokens = completion_tokens_;
                   out.SendBody(200, "text/plain", "ok");
                 }});
    router_.Add({"GET", "/health", "health", true, [](RequestContext&, ResponseWriter& out) {
                   out.SendBody(200, "text/plain", "ok");
                 }});
  }
  void Make(PipelineStages stages = {}) {
    auto adm = PolicyAdmission::Create(config_, clock_);
    ASSERT_TRUE(adm.ok()) << adm.status().ToString();
    policy_ = adm->get();
    stages.admission = std::move(adm).value();
    auto audit = std::make_unique<Recording>();
    audit_ = audit.get();
    stages.audit = std::move(audit);
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
  }
  FakeSink Get(const std::string& path, const std::string& remote = "127.0.0.1", const std::string& xff = "") {
    std::map<std::string, std::string> p = {{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", path}, {"REMOTE_ADDR", remote}};
    if (!xff.empty()) p["HTTP_X_FORWARDED_FOR"] = xff;
    FakeSource src(p);
    FakeSink sink;
    pipeline_->Serve(src, sink, config_, cancel_);
    return sink;
  }
  static bool Has(const FakeSink& s, const std::string& text) { return s.Head().find(text) != std::string::npos; }

  WorkerConfig config_;
  ManualClock clock_;
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  PolicyAdmission* policy_ = nullptr;
  Recording* audit_ = nullptr;
  std::atomic<bool> cancel_{false};
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
};

TEST_F(AdmissionTest, OverTheRequestLimitIs429WithRetryAfterAndHeaders) {
  config_.rate_limits = {2, 0, 0};
  Make();
  FakeSink first = Get("/x");
  EXPECT_TRUE(Has(first, "Status: 200"));
  EXPECT_TRUE(Has(first, "x-ratelimit-limit-requests: 2\r\n"));
  EXPECT_TRUE(Has(first, "x-ratelimit-remaining-requests: 1\r\n"));
  Get("/x");
  FakeSink refused = Get("/x");
  EXPECT_TRUE(Has(refused, "Status: 429"));
  EXPECT_TRUE(Has(refused, "Retry-After: 30\r\n"));
  EXPECT_TRUE(Has(refused, "x-ratelimit-remaining-requests: 0\r\n"));
  EXPECT_NE(refused.Body().find("rate_limit_exceeded"), std::string::npos);
  ASSERT_EQ(audit_->records.size(), 3u);
  EXPECT_EQ(audit_->records[2].event, AuditEvent::kRateLimited);
  EXPECT_EQ(audit_->records[2].reason, "requests_per_minute");
  EXPECT_EQ(audit_->records[2].status, 429);
}

TEST_F(AdmissionTest, PublicRoutesAreNeverLimited) {
  config_.rate_limits = {1, 0, 0};
  Make();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Has(Get("/health"), "Status: 200"));
}

TEST_F(AdmissionTest, TokensFromTheHandlersUsageAreCharged) {
  config_.rate_limits = {0, 100, 0};
  prompt_tokens_ = 70;
  completion_tokens_ = 50;
  Make();
  EXPECT_TRUE(Has(Get("/x"), "Status: 200"));
  EXPECT_EQ(audit_->records[0].model, "m");
  EXPECT_EQ(audit_->records[0].prompt_tokens, 70);
  EXPECT_EQ(audit_->records[0].completion_tokens, 50);
  FakeSink refused = Get("/x");
  EXPECT_TRUE(Has(refused, "Status: 429"));
  EXPECT_EQ(audit_->records[1].reason, "tokens_per_minute");
  clock_.Advance(std::chrono::seconds(13));  // 20 in debt + 1, at 100/60 per s
  EXPECT_TRUE(Has(Get("/x"), "Status: 200"));
}

TEST_F(AdmissionTest, ConcurrencySlotIsReleasedAfterEachRequest) {
  config_.rate_limits = {0, 0, 1};
  Make();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Has(Get("/x"), "Status: 200"));
}

// The token endpoint is public (credentials in the body) but still guarded: country rules and
// the default limits, per client address.
TEST_F(AdmissionTest, PolicyWhenPublicLimitsPerClientAddressAndChecksCountry) {
  router_.Add({"GET", "/token", "oauth.token", true,
               [](RequestContext&, ResponseWriter& out) { out.SendBody(200, "text/plain", "ok"); },
               /*policy_when_public=*/true});
  config_.rate_limits = {1, 0, 0};
  const std::string db = LoopbackMmdb();
  if (!db.empty()) {
    config_.geoip.database = db;
    config_.geoip.deny_countries = {"KP"};
  }
  Make();
  EXPECT_TRUE(Has(Get("/token", "127.0.0.1"), "Status: 200"));
  EXPECT_TRUE(Has(Get("/token", "127.0.0.1"), "Status: 429"));
  EXPECT_TRUE(Has(Get("/token", "127.0.0.4"), "Status: 200"));  // another address, its own bucket
  if (!db.empty()) {
    EXPECT_TRUE(Has(Get("/token", "127.0.0.3"), "Status: 403"));
  }
  EXPECT_EQ(audit_->records[0].subject, "-");  // the address is not a subject
  EXPECT_EQ(audit_->records[1].event, AuditEvent::kRateLimited);
}

TEST_F(AdmissionTest, DeniedCountryIs403CountryBlocked) {
  const std::string db = LoopbackMmdb();
  if (db.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing";
  config_.geoip.database = db;
  config_.geoip.deny_countries = {"KP"};
  Make();
  EXPECT_TRUE(Has(Get("/x", "127.0.0.1"), "Status: 200"));
  FakeSink refused = Get("/x", "127.0.0.3");
  EXPECT_TRUE(Has(refused, "Status: 403"));
  EXPECT_NE(refused.Body().find("\"country_blocked\""), std::string::npos);
  ASSERT_EQ(audit_->records.size(), 2u);
  EXPECT_EQ(audit_->records[0].client_country, "DE");
  EXPECT_EQ(audit_->records[1].event, AuditEvent::kForbidden);
  EXPECT_EQ(audit_->records[1].reason, "country_denied:KP");
  EXPECT_EQ(audit_->records[1].client_country, "KP");
}

TEST_F(AdmissionTest, UnknownCountryFollowsPolicy) {
  const std::string db = LoopbackMmdb();
  if (db.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing";
  config_.geoip.database = db;
  config_.geoip.allow_unknown = false;
  Make();
  EXPECT_TRUE(Has(Get("/x", "127.0.0.2"), "Status: 403"));
  EXPECT_EQ(audit_->records[0].reason, "country_unknown");
}

TEST_F(AdmissionTest, ForwardedForFromATrustedProxyDecidesTheCountry) {
  const std::string db = LoopbackMmdb();
  if (db.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing";
  config_.geoip.database = db;
  config_.geoip.deny_countries = {"KP"};
  config_.trusted_proxies = {"10.0.0.0/8"};
  Make();
  EXPECT_TRUE(Has(Get("/x", "10.1.1.1", "127.0.0.3"), "Status: 403"));
  EXPECT_EQ(audit_->records[0].client_ip, "127.0.0.3");
  EXPECT_EQ(audit_->records[0].remote_addr, "10.1.1.1");
  // Not trusted: the header is the client's word, ignored.
  EXPECT_TRUE(Has(Get("/x", "127.0.0.1", "127.0.0.3"), "Status: 200"));
}

TEST_F(AdmissionTest, AnomalyIsAuditedOncePerWindow) {
  config_.rate_limits = {0, 0, 0};
  config_.anomaly.floor_per_minute = 3;
  Make();
  for (int i = 0; i < 10; ++i) Get("/x");
  int anomalies = 0;
  for (const AuditRecord& r : audit_->records) anomalies += r.event == AuditEvent::kAnomaly;
  EXPECT_EQ(anomalies, 1);
  EXPECT_EQ(policy_->anomalies(), 1u);
  EXPECT_EQ(audit_->records.size(), 11u);  // 10 requests + 1 anomaly
}

TEST_F(AdmissionTest, AuthFailureReasonReachesAuditNotClient) {
  PipelineStages stages;
  stages.authenticator = std::make_unique<RefusingAuth>();
  Make(std::move(stages));
  FakeSink s = Get("/x");
  EXPECT_TRUE(Has(s, "Status: 401"));
  EXPECT_NE(s.Body().find("Invalid API key"), std::string::npos);
  EXPECT_EQ(s.Body().find("key_revoked"), std::string::npos);
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].event, AuditEvent::kAuthFailure);
  EXPECT_EQ(audit_->records[0].reason, "key_revoked");
  EXPECT_EQ(audit_->records[0].key_id, "0123456789abcdef");
}

TEST(AuditReason, DetailWinsElseTheReasonsName) {
  Refusal r(RefusalReason::kModelNotAllowed, Status::PermissionDenied("Forbidden"));
  EXPECT_EQ(AuditReason(r), "model_not_allowed");
  r.reason = RefusalReason::kBadCredentials;
  r.detail = "key_revoked";
  EXPECT_EQ(AuditReason(r), "key_revoked");
  EXPECT_EQ(std::string(RefusalReasonName(RefusalReason::kModelRejected)), "sha256_mismatch");
}

TEST(AuditReason, ARefusalKeepsItsCodeParamAndRetryAfter) {
  Refusal r = Refusal(RefusalReason::kRateLimited, Status::ResourceExhausted("slow down"), "requests_per_minute")
                  .WithParam("model")
                  .WithRetryAfter(7);
  ApiError e = ApiError::FromRefusal(r, 2);
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.retry_after_s, 7);
  EXPECT_EQ(e.param, "model");
  r.retry_after_s = 0;
  r.error_code = "country_blocked";
  EXPECT_EQ(ApiError::FromRefusal(r, 2).retry_after_s, 2);
  EXPECT_EQ(ApiError::FromRefusal(r, 2).code, "country_blocked");
}

TEST(KeyLimits, AKeysOwnLimitsWinOverTheConfigDefaults) {
  RateLimitConfig defaults;
  defaults.requests_per_minute = 120;
  defaults.tokens_per_minute = 1000;
  defaults.max_concurrent = 4;
  Principal key;
  key.requests_per_min = 3;
  key.max_concurrent = 1;  // tokens_per_min 0: the default applies
  policy::LimitSpec l = policy::DefaultLimits(key, defaults);
  EXPECT_EQ(l.requests_per_minute, 3);
  EXPECT_EQ(l.tokens_per_minute, 1000);
  EXPECT_EQ(l.max_concurrent, 1);
  l = policy::DefaultLimits(Principal{}, defaults);  // an IdP token or anonymous
  EXPECT_EQ(l.requests_per_minute, 120);
  EXPECT_EQ(l.max_concurrent, 4);
}

TEST_F(AdmissionTest, ReloadWithAMissingDatabaseKeepsTheOldRules) {
  const std::string db = LoopbackMmdb();
  if (db.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing";
  config_.geoip.database = db;
  config_.geoip.deny_countries = {"KP"};
  Make();
  WorkerConfig next = config_;
  next.geoip.database = "/nonexistent.mmdb";
  EXPECT_FALSE(policy_->Reload(next).ok());
  EXPECT_TRUE(Has(Get("/x", "127.0.0.3"), "Status: 403"));
  next = config_;
  next.geoip.deny_countries = {"DE"};
  ASSERT_TRUE(policy_->Reload(next).ok());
  EXPECT_TRUE(Has(Get("/x", "127.0.0.3"), "Status: 200"));
}

TEST(PolicyAdmissionCreate, UnopenableDatabaseRefusesToStart) {
  WorkerConfig c;
  c.geoip.database = "/nonexistent.mmdb";
  ManualClock clock;
  EXPECT_FALSE(PolicyAdmission::Create(c, clock).ok());
}

// --- config ---

Result<WorkerConfig> Parse(const std::string& extra) {
  return ParseConfig("{\"model_path\": \"/m.gguf\"" + (extra.empty() ? "" : ", " + extra) + "}", "t");
}

TEST(PolicyConfig, DefaultsAreSafe) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->audit.required);
  EXPECT_EQ(c->rate_limits.requests_per_minute, 120);
  EXPECT_TRUE(c->geoip.database.empty());
  EXPECT_TRUE(c->anomaly.enabled);
}

TEST(PolicyConfig, ParsesEverySection) {
  auto c = Parse(R"("rate_limits": {"requests_per_minute": 5, "tokens_per_minute": 900, "max_concurrent": 2},
      "geoip": {"database": "/g.mmdb", "allow_countries": ["DE", "FR"], "unknown_country": "deny"},
      "anomaly": {"enabled": false, "floor_per_minute": 9, "history_minutes": 30},
      "audit": {"required": false, "stderr": false}, "trusted_proxies": ["10.0.0.0/8", "::1"])");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rate_limits.tokens_per_minute, 900);
  EXPECT_EQ(c->rate_limits.max_concurrent, 2);
  EXPECT_EQ(c->geoip.allow_countries.size(), 2u);
  EXPECT_FALSE(c->geoip.allow_unknown);
  EXPECT_EQ(c->anomaly.history_minutes, 30);
  EXPECT_FALSE(c->audit.stderr_lines);
  EXPECT_EQ(c->trusted_proxies.size(), 2u);
}

TEST(PolicyConfig, RejectsBadValues) {
  for (const char* bad : {
           R"("rate_limits": {"requests_per_minte": 5})",
           R"("rate_limits": {"requests_per_minute": -1})",
           R"("rate_limits": 5)",
           R"("geoip": {"database": "/g", "allow_countries": ["DE"], "deny_countries": ["KP"]})",
           R"("geoip": {"deny_countries": ["KP"]})",
           R"("geoip": {"database": "/g", "deny_countries": ["kp"]})",
           R"("geoip": {"database": "/g", "deny_countries": ["KPR"]})",
           R"("geoip": {"database": "/g", "unknown_country": "maybe"})",
           R"("audit": {"required": "yes"})",
           R"("trusted_proxies": ["10.0.0.0/40"])",
           R"("trusted_proxies": "10.0.0.0/8")",
       })
    EXPECT_FALSE(Parse(bad).ok()) << bad;
}

TEST(PolicyConfig, PolicyKeysReloadLiveAuditNeedsRestart) {
  WorkerConfig a, b;
  b.rate_limits.requests_per_minute = 1;
  b.geoip.allow_unknown = false;
  b.audit.required = false;
  ConfigChanges d = DiffConfig(a, b);
  EXPECT_EQ(d.applied, (std::vector<std::string>{"rate_limits", "geoip"}));
  EXPECT_EQ(d.need_restart, (std::vector<std::string>{"audit"}));
}

// Counts the credentials it is asked to check (all refused).
class CountingRefuser final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request&, Principal*) override {
    ++calls;
    return Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated("Invalid API key"), "key_unknown");
  }
  int calls = 0;
};

TEST_F(AdmissionTest, BlockedCountryIsRefusedBeforeAnyCredentialIsChecked) {
  const std::string db = LoopbackMmdb();
  if (db.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing";
  config_.geoip.database = db;
  config_.geoip.deny_countries = {"KP"};
  PipelineStages stages;
  auto auth = std::make_unique<CountingRefuser>();
  CountingRefuser* counting = auth.get();
  stages.authenticator = std::move(auth);
  Make(std::move(stages));
  // A bad key from a blocked country: 403, the same as a good one would get (no 401/403 oracle).
  FakeSink refused = Get("/x", "127.0.0.3");
  EXPECT_TRUE(Has(refused, "Status: 403"));
  EXPECT_NE(refused.Body().find("\"country_blocked\""), std::string::npos);
  EXPECT_EQ(counting->calls, 0);
  EXPECT_TRUE(Has(Get("/x", "127.0.0.1"), "Status: 401"));
  EXPECT_EQ(counting->calls, 1);
}

TEST_F(AdmissionTest, FailedCredentialsFromOneAddressAreThrottledBeforeAuthentication) {
  config_.rate_limits.auth_failures_per_minute = 3;
  PipelineStages stages;
  auto auth = std::make_unique<CountingRefuser>();
  CountingRefuser* counting = auth.get();
  stages.authenticator = std::move(auth);
  Make(std::move(stages));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Has(Get("/x", "127.0.0.1"), "Status: 401"));
  FakeSink throttled = Get("/x", "127.0.0.1");
  EXPECT_TRUE(Has(throttled, "Status: 429"));
  EXPECT_TRUE(Has(throttled, "Retry-After: "));
  EXPECT_EQ(counting->calls, 3);  // the fourth never reached the authenticator
  EXPECT_EQ(audit_->records.back().event, AuditEvent::kRateLimited);
  EXPECT_EQ(audit_->records.back().reason, "auth_failures");
  EXPECT_TRUE(Has(Get("/x", "127.0.0.4"), "Status: 401"));  // another address: its own count
  clock_.Advance(std::chrono::seconds(20));                  // 3/min: one more try after 20 s
  EXPECT_TRUE(Has(Get("/x", "127.0.0.1"), "Status: 401"));
  EXPECT_TRUE(Has(Get("/x", "127.0.0.1"), "Status: 429"));
}

}  // namespace
}  // namespace deepgate::fcgi
