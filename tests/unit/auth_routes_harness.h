// A harness for the credential routes (admin keys, the OAuth token exchange) in-process: the
// real AuthContext (OpenAuth over secret files written 0600 into a temp dir, a SQLite key
// store there, the default roles, a fake clock), a router, and the real pipeline in front of
// it with a recording audit sink. The caller's identity comes from an X-Caller header (the
// subject; "" = anonymous), so handler tests need no credentials of their own.
#pragma once

#include <gtest/gtest.h>
#include <json/json.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "fcgi/auth/auth_context.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/server/pipeline.h"
#include "auth_test_util.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi::testing {

class RecordingAudit final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

// X-Caller: <subject> → an authenticated admin principal named so.
class CallerHeader final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request& r, Principal* p) override {
    if (r.Header("x-caller").empty()) return std::nullopt;  // anonymous
    p->subject = r.Header("x-caller");
    p->authenticated = true;
    p->role = "admin";
    return std::nullopt;
  }
};

struct Answer {
  int status = 0;
  std::string head;  // the CGI header block
  std::string body;  // as sent
  Json::Value json;  // the body parsed (null when it is not JSON)
};

class AuthRoutesHarness {
 public:
  static constexpr int64_t kNow = 1'800'000'000;

  // Opens the auth context; check ok() (ASSERT) before use.
  AuthRoutesHarness() : clock_(kNow) {
    dir_ = auth::testing::TempDir("routes");
    auth::AuthConfig config;
    config.key_store = dir_ + "/keys.db";
    config.master_secret_file = WriteSecret("master_secret", 'm');
    config.pepper_file = WriteSecret("pepper", 'p');
    config.jwt_secret_file = WriteSecret("jwt_hs256", 'j');
    Result<std::unique_ptr<auth::SqliteKeyStore>> store = auth::SqliteKeyStore::Open(config.key_store);
    Result<std::unique_ptr<auth::AuthContext>> opened =
        store.ok() ? auth::OpenAuth(config, clock_, std::move(store).value())
                   : Result<std::unique_ptr<auth::AuthContext>>(store.status());
    open_status_ = opened.status();
    if (opened.ok()) auth_ = std::move(opened).value();
    worker_.model_path = "/m.gguf";
  }
  ~AuthRoutesHarness() { std::filesystem::remove_all(dir_); }

  const Status& open_status() const { return open_status_; }
  auth::AuthContext& auth() { return *auth_; }
  auth::FakeClock& clock() { return clock_; }
  Router& router() { return router_; }
  RecordingAudit& pipeline_audit() { return *pipeline_audit_; }

  // Call once the routes are added.
  void StartPipeline() {
    PipelineStages stages;
    stages.authenticator = std::make_unique<CallerHeader>();
    auto audit = std::make_unique<RecordingAudit>();
    pipeline_audit_ = audit.get();
    stages.audit = std::move(audit);
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
  }

  Answer Send(const std::string& method, const std::string& path, const std::string& body,
              const std::string& content_type = "application/json", const std::string& caller = "ops") {
    const size_t q = path.find('?');
    FakeSource src({{"REQUEST_METHOD", method},
                    {"DOCUMENT_URI", path.substr(0, q)},
                    {"QUERY_STRING", q == std::string::npos ? "" : path.substr(q + 1)},
                    {"CONTENT_TYPE", content_type},
                    {"CONTENT_LENGTH", std::to_string(body.size())},
                    {"HTTP_X_CALLER", caller}},
                   body);
    FakeSink sink;
    pipeline_->Serve(src, sink, worker_, cancel_);
    Answer a;
    a.status = std::stoi(sink.data.substr(8, 3));  // "Status: NNN"
    a.head = sink.Head();
    a.body = sink.Body();
    std::istringstream in(a.body);
    Json::CharReaderBuilder reader;
    std::string errors;
    if (!Json::parseFromStream(reader, in, &a.json, &errors)) a.json = Json::Value();
    return a;
  }

 private:
  std::string WriteSecret(const std::string& name, char fill) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << std::string(48, fill) << "\n";
    ::chmod(path.c_str(), 0600);
    return path;
  }

  auth::FakeClock clock_;
  std::string dir_;
  Status open_status_;
  std::unique_ptr<auth::AuthContext> auth_;
  WorkerConfig worker_;
  Router router_;
  RecordingAudit* pipeline_audit_ = nullptr;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> cancel_{false};
};

}  // namespace deepgate::fcgi::testing
