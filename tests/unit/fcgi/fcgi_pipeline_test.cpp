// Router, the request pipeline end to end over fakes, and ModelService with a fake loader.
#include <gtest/gtest.h>
#include <json/json.h>

#include <future>
#include <sstream>
#include <stdexcept>

#include "fcgi/api/engine_routes.h"
#include "fcgi/api/health.h"
#include "fcgi/api/models.h"
#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/pipeline.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi {
namespace {

using testing::FakeSink;
using testing::FakeSource;

void Ok(RequestContext&, ResponseWriter& out) { out.SendBody(200, "text/plain", "ok"); }

TEST(FcgiRouter, ExactAndParameterRoutes) {
  Router r;
  r.Add({"GET", "/v1/models", "list", false, Ok});
  r.Add({"GET", "/v1/models/{id}", "get", false, Ok});
  RouteMatch list = r.Match("GET", "/v1/models");
  ASSERT_NE(list.route, nullptr);
  EXPECT_EQ(list.route->name, "list");
  RouteMatch get = r.Match("GET", "/v1/models/org/model-1");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.param, "org/model-1");
  EXPECT_EQ(r.Match("GET", "/v1/models/").route, nullptr);
}

TEST(FcgiRouter, UnknownPathIs404) {
  Router r;
  r.Add({"GET", "/health", "health", true, Ok});
  RouteMatch m = r.Match("GET", "/healthz");
  ASSERT_EQ(m.route, nullptr);
  EXPECT_EQ(m.error.http_status, 404);
  EXPECT_EQ(m.error.message, "Unknown route: GET /healthz");
}

TEST(FcgiRouter, WrongMethodIs405WithAllow) {
  Router r;
  r.Add({"GET", "/x", "x.get", false, Ok});
  r.Add({"DELETE", "/x", "x.delete", false, Ok});
  RouteMatch m = r.Match("POST", "/x");
  ASSERT_EQ(m.route, nullptr);
  EXPECT_EQ(m.error.http_status, 405);
  ASSERT_EQ(m.error.headers.size(), 1u);
  EXPECT_EQ(m.error.headers[0].second, "GET, DELETE");
}

class RecordingAudit final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

class DenyAll final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request&, Principal*) override {
    return Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated("no key"));
  }
};

Result<LoadedModel> NullLoader(const WorkerConfig&) { return LoadedModel{}; }

// A worker's router and pipeline over fakes.
class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : models_(Config(), NullLoader) {
    AddHealthRoutes(router_, models_);
    AddModelRoutes(router_, models_);
    AddEngineRoutes(router_, models_, share_);
    router_.Add({"GET", "/throw", "throw", false, [](RequestContext&, ResponseWriter&) {
                   throw std::runtime_error("boom");
                 }});
    router_.Add({"GET", "/silent", "silent", false, [](RequestContext&, ResponseWriter&) {}});
  }
  static WorkerConfig Config() {
    WorkerConfig c;
    c.model_path = "/models/tiny.gguf";
    c.max_body_bytes = 1024;
    return c;
  }
  void MakePipeline(PipelineStages stages = {}) {
    auto audit = std::make_unique<RecordingAudit>();
    audit_ = audit.get();
    stages.audit = std::move(audit);
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
  }
  // Serves one request; returns the sink.
  FakeSink Serve(const std::string& method, const std::string& path, const std::string& body = "",
                 std::map<std::string, std::string> extra = {}) {
    if (!pipeline_) MakePipeline();
    extra["REQUEST_METHOD"] = method;
    extra["DOCUMENT_URI"] = path;
    if (!body.empty() && !extra.count("CONTENT_LENGTH")) extra["CONTENT_LENGTH"] = std::to_string(body.size());
    FakeSource src(extra, body);
    FakeSink sink;
    pipeline_->Serve(src, sink, config_, cancel_);
    return sink;
  }
  static Json::Value BodyJson(const FakeSink& s) {
    Json::Value v;
    std::istringstream in(s.Body());
    in >> v;
    return v;
  }
  static bool HasStatus(const FakeSink& s, int code) { return s.data.rfind("Status: " + std::to_string(code) + " ", 0) == 0; }

  WorkerConfig config_ = Config();
  ModelService models_;
  policy::EngineShare share_;  // the worker's one share, as BuildServer injects it
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  RecordingAudit* audit_ = nullptr;
  std::atomic<bool> cancel_{false};
};

TEST_F(PipelineTest, HealthIs200EvenWhileModelLoads) {
  FakeSink s = Serve("GET", "/health");
  EXPECT_TRUE(HasStatus(s, 200));
  EXPECT_EQ(BodyJson(s)["status"].asString(), "ok");
}

TEST_F(PipelineTest, ReadyIs503WithRetryAfterUntilLoadedThen200) {
  FakeSink loading = Serve("GET", "/ready");
  EXPECT_TRUE(HasStatus(loading, 503));
  EXPECT_NE(loading.Head().find("Retry-After: 2\r\n"), std::string::npos);
  EXPECT_EQ(BodyJson(loading)["error"]["code"].asString(), "model_loading");
  models_.StartLoading(nullptr);
  models_.WaitLoaded();
  EXPECT_TRUE(HasStatus(Serve("GET", "/ready"), 200));
}

TEST_F(PipelineTest, ModelsListHasOpenAiShape) {
  Json::Value v = BodyJson(Serve("GET", "/v1/models"));
  EXPECT_EQ(v["object"].asString(), "list");
  ASSERT_EQ(v["data"].size(), 1u);
  EXPECT_EQ(v["data"][0]["id"].asString(), "tiny");
  EXPECT_EQ(v["data"][0]["object"].asString(), "model");
  EXPECT_EQ(v["data"][0]["owned_by"].asString(), "deepgate");
  EXPECT_TRUE(v["data"][0]["created"].isIntegral());
}

TEST_F(PipelineTest, ModelGetKnownAndUnknown) {
  EXPECT_EQ(BodyJson(Serve("GET", "/v1/models/tiny"))["id"].asString(), "tiny");
  FakeSink missing = Serve("GET", "/v1/models/nope");
  EXPECT_TRUE(HasStatus(missing, 404));
  EXPECT_EQ(BodyJson(missing)["error"]["code"].asString(), "model_not_found");
}

TEST_F(PipelineTest, UnknownRouteAndWrongMethod) {
  EXPECT_TRUE(HasStatus(Serve("GET", "/v2/whatever"), 404));
  FakeSink s = Serve("DELETE", "/v1/models");
  EXPECT_TRUE(HasStatus(s, 405));
  EXPECT_NE(s.Head().find("Allow: GET\r\n"), std::string::npos);
}

TEST_F(PipelineTest, OversizedBodyIs413) {
  FakeSink s = Serve("POST", "/v1/chat/completions", std::string(2000, ' '));
  EXPECT_TRUE(HasStatus(s, 413));
  EXPECT_EQ(BodyJson(s)["error"]["code"].asString(), "request_too_large");
}

TEST_F(PipelineTest, MalformedJsonOnGenerationRouteIs400) {
  FakeSink s = Serve("POST", "/v1/chat/completions", "{\"model\":");
  EXPECT_TRUE(HasStatus(s, 400));
  EXPECT_EQ(BodyJson(s)["error"]["type"].asString(), "invalid_request_error");
}

TEST_F(PipelineTest, GenerationWithoutEngineIs503) {
  models_.StartLoading(nullptr);
  models_.WaitLoaded();
  FakeSink s = Serve("POST", "/v1/chat/completions",
                     R"({"model":"tiny","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_TRUE(HasStatus(s, 503));
  EXPECT_EQ(BodyJson(s)["error"]["code"].asString(), "engine_not_attached");
}

TEST_F(PipelineTest, RequestIdIsEchoedAndAudited) {
  FakeSink s = Serve("GET", "/v1/models", "", {{"REQUEST_ID", "abc123"}, {"REMOTE_ADDR", "192.0.2.1"}});
  EXPECT_NE(s.Head().find("X-Request-Id: abc123\r\n"), std::string::npos);
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].request_id, "abc123");
  EXPECT_EQ(audit_->records[0].remote_addr, "192.0.2.1");
  EXPECT_EQ(audit_->records[0].route, "models.list");
  EXPECT_EQ(audit_->records[0].status, 200);
}

TEST_F(PipelineTest, ErrorsAreAuditedToo) {
  Serve("GET", "/nope", "", {{"REQUEST_ID", "e1"}});
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].status, 404);
  EXPECT_EQ(audit_->records[0].outcome, "error");
}

TEST_F(PipelineTest, ThrowingHandlerIs500NotACrash) {
  FakeSink s = Serve("GET", "/throw");
  EXPECT_TRUE(HasStatus(s, 500));
  EXPECT_EQ(BodyJson(s)["error"]["message"].asString().find("boom"), std::string::npos);
}

TEST_F(PipelineTest, SilentHandlerStillAnswers) { EXPECT_TRUE(HasStatus(Serve("GET", "/silent"), 500)); }

TEST_F(PipelineTest, AuthenticatorGuardsPrivateRoutesOnly) {
  PipelineStages stages;
  stages.authenticator = std::make_unique<DenyAll>();
  MakePipeline(std::move(stages));
  FakeSink denied = Serve("GET", "/v1/models");
  EXPECT_TRUE(HasStatus(denied, 401));
  EXPECT_EQ(BodyJson(denied)["error"]["type"].asString(), "authentication_error");
  EXPECT_TRUE(HasStatus(Serve("GET", "/health"), 200));
}

TEST(FcgiModelService, ReportsFailureFromLoader) {
  WorkerConfig c;
  c.model_path = "/m/x.gguf";
  ModelService s(c, [](const WorkerConfig&) -> Result<LoadedModel> {
    return Status::InvalidArgument("bad file");
  });
  EXPECT_EQ(s.state(), ModelState::kLoading);
  std::promise<Status> done;
  s.StartLoading([&](const Status& st) { done.set_value(st); });
  EXPECT_EQ(done.get_future().get().message(), "bad file");
  s.WaitLoaded();
  EXPECT_EQ(s.state(), ModelState::kFailed);
  EXPECT_EQ(s.load_error().message(), "bad file");
}

TEST(FcgiModelService, ARejectedFileFailsWithItsRefusal) {
  WorkerConfig c;
  c.model_path = "/m/x.gguf";
  ModelService s(c, [](const WorkerConfig&) -> Result<LoadedModel> {
    return LoadedModel{nullptr, Refusal(RefusalReason::kModelRejected, Status::PermissionDenied("hash differs"))};
  });
  std::promise<Status> done;
  s.StartLoading([&](const Status& st) { done.set_value(st); });
  EXPECT_EQ(done.get_future().get().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.state(), ModelState::kFailed);
  ASSERT_TRUE(s.rejection());
  EXPECT_EQ(s.rejection()->reason, RefusalReason::kModelRejected);
}

}  // namespace
}  // namespace deepgate::fcgi
