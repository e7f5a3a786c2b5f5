// AuditRecord -> journald fields, the stderr line, and JournalAuditSink over a fake journal
// (captured entries, injected send failures).
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "fcgi/audit/audit_format.h"
#include "fcgi/audit/journal_audit_sink.h"

namespace deepgate::fcgi::audit {
namespace {

class FakeJournal final : public JournalWriter {
 public:
  explicit FakeJournal(std::vector<std::vector<std::string>>* entries, int rc = 0) : entries_(entries), rc_(rc) {}
  int Send(const std::vector<std::string>& fields) override {
    entries_->push_back(fields);
    return rc_;
  }

 private:
  std::vector<std::vector<std::string>>* entries_;
  int rc_;
};

std::map<std::string, std::string> AsMap(const std::vector<std::string>& fields) {
  std::map<std::string, std::string> m;
  for (const std::string& f : fields) {
    const size_t eq = f.find('=');
    EXPECT_EQ(m.count(f.substr(0, eq)), 0u) << "duplicate field " << f;
    m[f.substr(0, eq)] = f.substr(eq + 1);
  }
  return m;
}

AuditRecord Request429() {
  AuditRecord r;
  r.event = AuditEvent::kRateLimited;
  r.request_id = "req1";
  r.remote_addr = "10.0.0.2";
  r.client_ip = "198.51.100.7";
  r.client_country = "SE";
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.subject = "alice";
  r.key_id = "k_123";
  r.role = "developer";
  r.status = 429;
  r.duration = std::chrono::milliseconds(3);
  r.reason = "requests_per_minute";
  return r;
}

TEST(AuditJournal, FieldsOfARefusedRequest) {
  auto m = AsMap(JournalFields(Request429()));
  EXPECT_EQ(m["SYSLOG_IDENTIFIER"], "deepgate");
  EXPECT_EQ(m["DEEPGATE_EVENT"], "rate_limited");
  EXPECT_EQ(m["PRIORITY"], "5");
  EXPECT_EQ(m["REQUEST_ID"], "req1");
  EXPECT_EQ(m["SUBJECT"], "alice");
  EXPECT_EQ(m["KEY_ID"], "k_123");
  EXPECT_EQ(m["ROLE"], "developer");
  EXPECT_EQ(m["CLIENT_IP"], "198.51.100.7");
  EXPECT_EQ(m["CLIENT_COUNTRY"], "SE");
  EXPECT_EQ(m["METHOD"], "POST");
  EXPECT_EQ(m["PATH"], "/v1/chat/completions");
  EXPECT_EQ(m["STATUS"], "429");
  EXPECT_EQ(m["DURATION_MS"], "3");
  EXPECT_EQ(m["REASON"], "requests_per_minute");
  EXPECT_EQ(m.count("MODEL"), 0u);
  EXPECT_EQ(m["MESSAGE"], "rate_limited: POST /v1/chat/completions 429 subject=alice reason=requests_per_minute");
}

TEST(AuditJournal, GenerationCarriesModelAndTokens) {
  AuditRecord r;
  r.request_id = "r";
  r.status = 200;
  r.model = "deepgate-demo";
  r.prompt_tokens = 12;
  r.completion_tokens = 34;
  auto m = AsMap(JournalFields(r));
  EXPECT_EQ(m["DEEPGATE_EVENT"], "request");
  EXPECT_EQ(m["PRIORITY"], "6");
  EXPECT_EQ(m["MODEL"], "deepgate-demo");
  EXPECT_EQ(m["PROMPT_TOKENS"], "12");
  EXPECT_EQ(m["COMPLETION_TOKENS"], "34");
}

TEST(AuditJournal, ClientIpFallsBackToRemoteAddr) {
  AuditRecord r;
  r.request_id = "r";
  r.remote_addr = "127.0.0.1";
  EXPECT_EQ(AsMap(JournalFields(r))["CLIENT_IP"], "127.0.0.1");
}

TEST(AuditJournal, EventWithoutRequestHasNoRequestFields) {
  AuditRecord r;
  r.event = AuditEvent::kConfigReloaded;
  r.message = "config reloaded";
  auto m = AsMap(JournalFields(r));
  EXPECT_EQ(m["DEEPGATE_EVENT"], "config_reloaded");
  EXPECT_EQ(m["MESSAGE"], "config reloaded");
  EXPECT_EQ(m.count("DURATION_MS"), 0u);
  EXPECT_EQ(m.count("STATUS"), 0u);
  EXPECT_EQ(m.count("SUBJECT"), 0u);
}

TEST(AuditJournal, EveryEventHasANameAndPriority) {
  const std::pair<AuditEvent, const char*> events[] = {
      {AuditEvent::kRequest, "request"},           {AuditEvent::kAuthFailure, "auth_failure"},
      {AuditEvent::kForbidden, "forbidden"},       {AuditEvent::kRateLimited, "rate_limited"},
      {AuditEvent::kKeyCreated, "key_created"},    {AuditEvent::kKeyRevoked, "key_revoked"},
      {AuditEvent::kKeyRotated, "key_rotated"},    {AuditEvent::kKeyExpiring, "key_expiring"},
      {AuditEvent::kAnomaly, "anomaly"},           {AuditEvent::kConfigReloaded, "config_reloaded"},
      {AuditEvent::kModelLoaded, "model_loaded"},
  };
  for (auto [e, name] : events) {
    EXPECT_STREQ(AuditEventName(e), name);
    EXPECT_GE(AuditPriority(e, 200), 4);
    EXPECT_LE(AuditPriority(e, 200), 6);
  }
  EXPECT_EQ(AuditPriority(AuditEvent::kAnomaly, 0), 4);
  EXPECT_EQ(AuditPriority(AuditEvent::kRequest, 503), 4);
}

TEST(AuditJournal, StderrLineIsOneParseableLine) {
  AuditRecord r = Request429();
  r.path = "/v1/x\n\"injected";
  const std::string line = AuditLine(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("event=rate_limited"), std::string::npos);
  EXPECT_NE(line.find("path=\"/v1/x??injected\""), std::string::npos);
  EXPECT_NE(line.find("client=198.51.100.7 country=SE"), std::string::npos);
  EXPECT_NE(line.find("reason=\"requests_per_minute\""), std::string::npos);
}

// A quoted message keeps its spaces (a key event reads "key_revoked key … name=…"), while
// quotes and line breaks still become '?'.
TEST(AuditJournal, QuotedMessageKeepsSpaces) {
  AuditRecord r;
  r.event = AuditEvent::kKeyRevoked;
  r.message = "key_revoked key 0123456789abcdef name=\"x\"\nby=cli";
  const std::string line = AuditLine(r);
  EXPECT_NE(line.find("message=\"key_revoked key 0123456789abcdef name=?x??by=cli\""), std::string::npos) << line;
}

TEST(AuditJournal, SinkMasksBeforeJournalAndStderr) {
  std::vector<std::vector<std::string>> entries;
  std::FILE* err = std::tmpfile();
  ASSERT_NE(err, nullptr);
  {
    JournalAuditSink sink(std::make_unique<FakeJournal>(&entries), true, err);
    AuditRecord r = Request429();
    r.path = "/v1/models/dg_0123456789abcdefXYZ";
    r.reason = "bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig";
    sink.Record(r);
    EXPECT_EQ(sink.entries(), 1u);
    EXPECT_EQ(sink.send_errors(), 0u);
  }
  ASSERT_EQ(entries.size(), 1u);
  for (const std::string& f : entries[0]) {
    EXPECT_EQ(f.find("0123456789abcdef"), std::string::npos) << f;
    EXPECT_EQ(f.find("eyJzdWIi"), std::string::npos) << f;
  }
  EXPECT_EQ(AsMap(entries[0])["PATH"], "/v1/models/dg_***");
  std::rewind(err);
  char buf[2048] = {};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, err);
  std::fclose(err);
  const std::string text(buf, n);
  EXPECT_NE(text.find("dg_***"), std::string::npos);
  EXPECT_EQ(text.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(text.find("eyJzdWIi"), std::string::npos);
}

TEST(AuditJournal, SendErrorsAreCountedAndReportedOnce) {
  std::vector<std::vector<std::string>> entries;
  std::FILE* err = std::tmpfile();
  ASSERT_NE(err, nullptr);
  JournalAuditSink sink(std::make_unique<FakeJournal>(&entries, -111), false, err);
  for (int i = 0; i < 3; ++i) sink.Record(Request429());
  EXPECT_EQ(sink.send_errors(), 3u);
  EXPECT_EQ(sink.entries(), 0u);
  std::rewind(err);
  char buf[1024] = {};
  const std::string text(buf, std::fread(buf, 1, sizeof buf - 1, err));
  std::fclose(err);
  EXPECT_NE(text.find("journal send failed"), std::string::npos);
  EXPECT_EQ(text.find("journal send failed"), text.rfind("journal send failed"));
}

TEST(AuditJournal, SinkWithoutJournalWritesStderrOnly) {
  std::FILE* err = std::tmpfile();
  ASSERT_NE(err, nullptr);
  JournalAuditSink sink(nullptr, true, err);
  EXPECT_FALSE(sink.has_journal());
  sink.Record(Request429());
  EXPECT_EQ(sink.send_errors(), 0u);
  EXPECT_GT(std::ftell(err), 0);
  std::fclose(err);
}

TEST(AuditJournal, SocketCheckNeedsAListener) {
  EXPECT_FALSE(JournalSocketPresent("/nonexistent/socket"));
  EXPECT_FALSE(JournalSocketPresent("/"));  // not a socket
  const std::string path = ::testing::TempDir() + "dg-journal-" + std::to_string(::getpid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_TRUE(JournalSocketPresent(path.c_str()));
  ::close(fd);
  EXPECT_FALSE(JournalSocketPresent(path.c_str()));  // stale: the file stays, nobody listens
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace deepgate::fcgi::audit
