// The audit API's pure parts: query parsing, the audit-field filter, usage per hour, a key's
// last use in the keys list; and its handlers through the pipeline over a fake journal
// (reading a real journal is the integration test's: tests/integration/console_test.sh).
#include <gtest/gtest.h>

#include <json/reader.h>

#include <sstream>

#include "fcgi/api/admin_audit.h"
#include "fcgi/api/admin_keys.h"
#include "fcgi/config.h"
#include "fcgi/server/pipeline.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi {
namespace {

using audit::AuditEntry;
using audit::AuditFilter;
using testing::FakeSink;
using testing::FakeSource;

constexpr int64_t kUs = 1000000;

TEST(AuditQuery, DefaultsReadEverythingNewestFirstInPagesOf100) {
  Result<AuditQuery> q = ParseAuditQuery("");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->filter.since_us, 0);
  EXPECT_EQ(q->filter.until_us, INT64_MAX);
  EXPECT_EQ(q->filter.event, "");
  EXPECT_EQ(q->filter.key_id, "");
  EXPECT_EQ(q->limit, kAuditPageDefault);
  EXPECT_EQ(q->cursor, "");
}

TEST(AuditQuery, ReadsEveryParameterInBothTimeForms) {
  Result<AuditQuery> q = ParseAuditQuery(
      "since=1764662400&until=2026-12-02T09%3A00%3A00Z&event=key_revoked&key=0123456789abcdef&limit=20&cursor=s%3D1%3Bi%3D2");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->filter.since_us, int64_t{1764662400} * kUs);
  EXPECT_EQ(q->filter.until_us, int64_t{1796202000} * kUs);  // 2026-12-02T09:00:00Z
  EXPECT_EQ(q->filter.event, "key_revoked");
  EXPECT_EQ(q->filter.key_id, "0123456789abcdef");
  EXPECT_EQ(q->limit, 20);
  EXPECT_EQ(q->cursor, "s=1;i=2");
}

TEST(AuditQuery, RefusesBadInputNamingTheParameter) {
  const std::pair<const char*, const char*> cases[] = {
      {"since=yesterday", "'since'"},
      {"until=2026-13-01T00:00:00Z", "'until'"},
      {"until=2026-12-01T00:00:00", "'until'"},        // no Z: not UTC
      {"since=20&until=10", "'since' must be before"},
      {"since=10&until=10", "'since' must be before"},
      {"event=key%20revoked", "'event'"},
      {"event=KEY_REVOKED", "'event'"},
      {"key=xyz", "'key'"},
      {"key=0123456789ABCDEF", "'key'"},
      {"limit=0", "'limit'"},
      {"limit=501", "'limit'"},
      {"limit=-1", "'limit'"},
      {"limit=ten", "'limit'"},
      {"cursor=a%20b", "'cursor'"},
      {"cursor=", "'cursor'"},
      {"colour=red", "Unknown parameter 'colour'"},
      {"limit=1&limit=2", "repeats"},
      {"key=%zz", "malformed"},
  };
  for (const auto& [query, message] : cases) {
    Result<AuditQuery> q = ParseAuditQuery(query);
    ASSERT_FALSE(q.ok()) << query;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument) << query;
    EXPECT_NE(q.status().message().find(message), std::string::npos) << query << ": " << q.status().message();
  }
}

TEST(UsageQuery, DefaultsToTheLastDayUpToNow) {
  Result<AuditFilter> f = ParseUsageQuery("", 1000000, true);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->until_us, int64_t{1000001} * kUs);
  EXPECT_EQ(f->since_us, (int64_t{1000001} - 86400) * kUs);
}

TEST(UsageQuery, SelfServiceMayNotNameAKey) {
  EXPECT_TRUE(ParseUsageQuery("key=0123456789abcdef", 1000000, true).ok());
  Result<AuditFilter> f = ParseUsageQuery("key=0123456789abcdef", 1000000, false);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("Unknown parameter 'key'"), std::string::npos);
}

TEST(UsageQuery, RefusesAWindowLongerThanTheBound) {
  EXPECT_TRUE(ParseUsageQuery("since=0&until=" + std::to_string(kUsageMaxWindowS), 0, true).ok());
  Result<AuditFilter> f = ParseUsageQuery("since=0&until=" + std::to_string(kUsageMaxWindowS + 1), 0, true);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("too far"), std::string::npos);
}

TEST(AuditFields, KeepsOnlyTheAuditFields) {
  std::map<std::string, std::string> out;
  ASSERT_TRUE(audit::FilterAuditFields({"SYSLOG_IDENTIFIER=deepgate", "DEEPGATE_EVENT=key_revoked", "KEY_ID=00ff",
                                        "MESSAGE=key_revoked", "_CMDLINE=deepgate keys create --subject alice@example.com",
                                        "_PID=42", "_HOSTNAME=h", "_UID=0", "CODE_FILE=x.cpp", "STATUS=200",
                                        "__CURSOR=s=1", "SUBJECT=ps_abc"},
                                       &out));
  const std::map<std::string, std::string> want = {{"DEEPGATE_EVENT", "key_revoked"}, {"KEY_ID", "00ff"},
                                                   {"MESSAGE", "key_revoked"},         {"STATUS", "200"},
                                                   {"SUBJECT", "ps_abc"}};
  EXPECT_EQ(out, want);
}

TEST(AuditFields, RefusesEntriesThatAreNotDeepgateAuditEntries) {
  std::map<std::string, std::string> out;
  EXPECT_FALSE(audit::FilterAuditFields({"SYSLOG_IDENTIFIER=sshd", "DEEPGATE_EVENT=request", "MESSAGE=x"}, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(audit::FilterAuditFields({"SYSLOG_IDENTIFIER=deepgate-fcgi", "DEEPGATE_EVENT=request"}, &out));
  EXPECT_FALSE(audit::FilterAuditFields({"SYSLOG_IDENTIFIER=deepgate", "MESSAGE=a stderr line"}, &out));
  EXPECT_TRUE(out.empty());
}

AuditEntry Entry(int64_t t_s, std::map<std::string, std::string> fields) {
  AuditEntry e;
  e.time_us = t_s * kUs;
  e.fields = std::move(fields);
  return e;
}

TEST(UsageTally, CountsRequestsTokens429sAndErrorsPerHourKeyAndModel) {
  UsageTally t;
  const int64_t h = 1764662400;  // an hour boundary
  t.Add(Entry(h + 5, {{"DEEPGATE_EVENT", "request"}, {"KEY_ID", "k1"}, {"MODEL", "m"}, {"STATUS", "200"},
                      {"PROMPT_TOKENS", "10"}, {"COMPLETION_TOKENS", "20"}}));
  t.Add(Entry(h + 3599, {{"DEEPGATE_EVENT", "request"}, {"KEY_ID", "k1"}, {"MODEL", "m"}, {"STATUS", "503"},
                         {"PROMPT_TOKENS", "1"}, {"COMPLETION_TOKENS", "0"}}));
  t.Add(Entry(h + 3600, {{"DEEPGATE_EVENT", "rate_limited"}, {"KEY_ID", "k1"}, {"STATUS", "429"}}));
  t.Add(Entry(h + 10, {{"DEEPGATE_EVENT", "forbidden"}, {"KEY_ID", "k2"}, {"STATUS", "403"}}));
  t.Add(Entry(h + 11, {{"DEEPGATE_EVENT", "key_revoked"}, {"KEY_ID", "k2"}}));            // not usage
  t.Add(Entry(h + 12, {{"DEEPGATE_EVENT", "auth_failure"}, {"STATUS", "401"}}));          // no key
  t.Add(Entry(h + 13, {{"DEEPGATE_EVENT", "request"}, {"KEY_ID", "k1"}, {"STATUS", "x"}, {"PROMPT_TOKENS", "-5"}}));
  AuditFilter w;
  w.since_us = h * kUs;
  w.until_us = (h + 7200) * kUs;
  Json::Value j = t.ToJson(w, false);
  EXPECT_EQ(j["object"].asString(), "usage");
  EXPECT_EQ(j["since"].asInt64(), h);
  EXPECT_FALSE(j["truncated"].asBool());
  ASSERT_EQ(j["data"].size(), 4u);
  auto row = [&](int i) {
    const Json::Value& b = j["data"][i];
    std::ostringstream s;
    s << b["hour"].asInt64() - h << " " << b["key_id"].asString() << " '" << b["model"].asString() << "' "
      << b["requests"].asInt64() << " " << b["prompt_tokens"].asInt64() << " " << b["completion_tokens"].asInt64()
      << " " << b["rate_limited"].asInt64() << " " << b["errors"].asInt64();
    return s.str();
  };
  EXPECT_EQ(row(0), "0 k1 '' 1 0 0 0 0");  // the unparseable STATUS / negative tokens count as 0
  EXPECT_EQ(row(1), "0 k1 'm' 2 11 20 0 1");
  EXPECT_EQ(row(2), "0 k2 '' 1 0 0 0 1");
  EXPECT_EQ(row(3), "3600 k1 '' 1 0 0 1 0");
}

TEST(AdminKeysList, LastUseIsSecondsOrNull) {
  Json::Value keys(Json::arrayValue);
  keys.append(Json::Value(Json::objectValue));
  keys[0]["id"] = "a";
  keys.append(Json::Value(Json::objectValue));
  keys[1]["id"] = "b";
  AddLastUse(keys, {{"a", int64_t{1764662400} * kUs + 999}});
  EXPECT_EQ(keys[0]["last_used_at"].asInt64(), 1764662400);
  EXPECT_TRUE(keys[1]["last_used_at"].isNull());
}

// --- the handlers through the pipeline ---

// Records what the handler asked for and answers with fixed entries.
class FakeJournal final : public audit::AuditJournal {
 public:
  Result<audit::AuditPage> Read(const AuditFilter& f, int limit, const std::string& cursor) override {
    read_filter = f;
    read_limit = limit;
    if (cursor == "bad") return Status::InvalidArgument("'cursor' is not valid");
    audit::AuditPage p;
    p.entries = entries;
    p.next_cursor = next_cursor;
    return p;
  }
  Status Scan(const AuditFilter& f, int64_t, const std::function<bool(const AuditEntry&)>& visit, bool* truncated) override {
    scan_filter = f;
    *truncated = false;
    for (const auto& e : entries)
      if (f.key_id.empty() || e.fields.at("KEY_ID") == f.key_id) visit(e);
    return Status::Ok();
  }
  Result<std::map<std::string, int64_t>> LastUse(const std::vector<std::string>&) override { return std::map<std::string, int64_t>{}; }

  std::vector<AuditEntry> entries;
  std::string next_cursor;
  AuditFilter read_filter, scan_filter;
  int read_limit = 0;
};

// The key id from an X-Key header.
class HeaderKey final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request& r, Principal* p) override {
    p->key_id = r.Header("x-key");
    p->subject = p->key_id.empty() ? "idp-user" : "key:" + p->key_id;
    p->authenticated = true;
    return std::nullopt;
  }
};

class AuditRoutesTest : public ::testing::Test {
 protected:
  AuditRoutesTest() : clock_(1764662400) {
    config_.model_path = "/m.gguf";
    AddAdminAuditRoutes(router_, journal_, clock_);
    PipelineStages stages;
    stages.authenticator = std::make_unique<HeaderKey>();
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
    journal_.entries = {Entry(1764662000, {{"DEEPGATE_EVENT", "request"}, {"KEY_ID", "aaaaaaaaaaaaaaaa"}, {"STATUS", "200"}}),
                        Entry(1764661000, {{"DEEPGATE_EVENT", "request"}, {"KEY_ID", "bbbbbbbbbbbbbbbb"}, {"STATUS", "200"}})};
    journal_.entries[0].cursor = "c0";
    journal_.entries[1].cursor = "c1";
  }
  Json::Value Get(const std::string& path, const std::string& query, const std::string& key, int* status) {
    FakeSource src({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", path}, {"QUERY_STRING", query}, {"HTTP_X_KEY", key}});
    FakeSink sink;
    pipeline_->Serve(src, sink, config_, cancel_);
    *status = std::stoi(sink.data.substr(8, 3));  // "Status: NNN"
    Json::Value v;
    std::istringstream in(sink.Body());
    in >> v;
    return v;
  }

  auth::FakeClock clock_;
  FakeJournal journal_;
  WorkerConfig config_;
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> cancel_{false};
};

TEST_F(AuditRoutesTest, AuditPageListsEntriesWithTheirCursorAndTheNextOne) {
  journal_.next_cursor = "c1";
  int status = 0;
  Json::Value j = Get("/admin/audit", "limit=2&event=request", "aaaaaaaaaaaaaaaa", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(journal_.read_limit, 2);
  EXPECT_EQ(journal_.read_filter.event, "request");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["cursor"].asString(), "c0");
  EXPECT_EQ(j["data"][0]["time"].asInt64(), 1764662000);
  EXPECT_EQ(j["data"][0]["fields"]["KEY_ID"].asString(), "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(j["next_cursor"].asString(), "c1");
}

TEST_F(AuditRoutesTest, BadQueryOrCursorIs400) {
  int status = 0;
  Json::Value j = Get("/admin/audit", "limit=9999", "aaaaaaaaaaaaaaaa", &status);
  EXPECT_EQ(status, 400);
  EXPECT_NE(j["error"]["message"].asString().find("'limit'"), std::string::npos);
  j = Get("/admin/audit", "cursor=bad", "aaaaaaaaaaaaaaaa", &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j["error"]["param"].asString(), "cursor");
}

TEST_F(AuditRoutesTest, OwnUsageSeesOnlyTheCallersKey) {
  int status = 0;
  Json::Value j = Get("/me/usage", "", "bbbbbbbbbbbbbbbb", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(journal_.scan_filter.key_id, "bbbbbbbbbbbbbbbb");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["key_id"].asString(), "bbbbbbbbbbbbbbbb");
  // Naming another key is refused, not quietly widened.
  Get("/me/usage", "key=aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", &status);
  EXPECT_EQ(status, 400);
  // A credential without a key of ours (an IdP token) has no own usage.
  Get("/me/usage", "", "", &status);
  EXPECT_EQ(status, 403);
}

TEST_F(AuditRoutesTest, AdminUsageSeesEveryKeyOrTheOneAsked) {
  int status = 0;
  Json::Value j = Get("/admin/usage", "", "aaaaaaaaaaaaaaaa", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(journal_.scan_filter.until_us, int64_t{1764662401} * kUs);
  j = Get("/admin/usage", "key=bbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaa", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(journal_.scan_filter.key_id, "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(j["data"].size(), 1u);
}

TEST(AuditConfig, JournalNamespaceIsANameOrEmpty) {
  auto parse = [](const std::string& ns) {
    return ParseConfig(R"({"model_path": "/m.gguf", "audit": {"journal_namespace": )" + ns + "}}", "test");
  };
  Result<WorkerConfig> c = parse(R"("deepgate")");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->audit.journal_namespace, "deepgate");
  EXPECT_TRUE(parse(R"("")").ok());
  for (const char* bad : {R"("../etc")", R"("a/b")", R"("..")", "7", R"("has space")"}) {
    Result<WorkerConfig> r = parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("journal_namespace"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace deepgate::fcgi
