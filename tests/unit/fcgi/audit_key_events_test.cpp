// Key lifecycle audit records and the daily key_expiring warning.
#include <gtest/gtest.h>

#include <filesystem>

#include "fcgi/audit/audit_format.h"
#include "fcgi/audit/key_events.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "tests/unit/auth_test_util.h"

namespace deepgate::fcgi::audit {
namespace {

constexpr int64_t kT0 = 1'800'000'000;
constexpr int64_t kDay = 86400;

class Recording final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

class KeyEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = auth::testing::TempDir("events");
    auto s = auth::SqliteKeyStore::Open(dir_ + "/keys.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    secrets_ = {std::string(32, 'm'), std::string(32, 'p'), std::string(32, 'j')};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  auth::IssuedKey Create(const std::string& name, int64_t lifetime_s) {
    auth::KeySpec spec;
    spec.name = name;
    spec.role = "developer";
    spec.lifetime_s = lifetime_s;
    auto k = auth::CreateKey(*store_, secrets_, spec, kT0);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return *k;
  }

  std::string dir_;
  std::unique_ptr<auth::KeyStore> store_;
  auth::Secrets secrets_;
};

TEST_F(KeyEventsTest, RecordNamesTheKeyButNeverItsSecretOrHash) {
  auth::IssuedKey k = Create("ci-bot", 90 * kDay);
  AuditRecord r = KeyEventRecord(AuditEvent::kKeyCreated, k.record, "cli:ops");
  EXPECT_EQ(r.event, AuditEvent::kKeyCreated);
  EXPECT_EQ(r.key_id, k.record.id);
  EXPECT_EQ(r.role, "developer");
  EXPECT_EQ(r.subject, "cli:ops");
  EXPECT_NE(r.message.find("name=ci-bot"), std::string::npos);
  // The actor is SUBJECT alone (pseudonymised by the worker's sink), never in MESSAGE.
  EXPECT_EQ(r.message.find("cli:ops"), std::string::npos) << r.message;
  // dg_<hex id>_<secret>: the secret is base64url and may itself contain '_', so it starts
  // after the second '_', not the last (a short tail like "de" matched "developer").
  const std::string secret = k.plaintext.substr(k.plaintext.find('_', 3) + 1);
  ASSERT_GE(secret.size(), 32u);
  for (const std::string& field : JournalFields(MaskRecord(r))) {
    EXPECT_EQ(field.find(secret), std::string::npos) << field;
    EXPECT_EQ(field.find(k.plaintext), std::string::npos) << field;
  }
}

TEST_F(KeyEventsTest, ExpiringKeyIsWarnedOncePerDayInsideTheWindow) {
  auth::IssuedKey soon = Create("soon", 10 * kDay);
  Create("later", 60 * kDay);
  Recording sink;
  KeyExpiryWarner warner(*store_, sink, 14 * kDay);
  EXPECT_EQ(warner.Check(kT0), 1);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].event, AuditEvent::kKeyExpiring);
  EXPECT_EQ(sink.records[0].key_id, soon.record.id);
  EXPECT_EQ(warner.Check(kT0 + 60), 0);              // the next minute: nothing new
  EXPECT_EQ(warner.Check(kT0 + kDay - 1), 0);        // still the same day
  EXPECT_EQ(warner.Check(kT0 + kDay), 1);            // a day later: warned again
  EXPECT_EQ(warner.Check(kT0 + 11 * kDay), 0);       // expired: no longer "expiring"
}

TEST_F(KeyEventsTest, RevokedKeyIsNotWarned) {
  auth::IssuedKey soon = Create("soon", 3 * kDay);
  ASSERT_TRUE(store_->Revoke(soon.record.id, kT0).ok());
  Recording sink;
  KeyExpiryWarner warner(*store_, sink, 14 * kDay);
  EXPECT_EQ(warner.Check(kT0 + 1), 0);
}

}  // namespace
}  // namespace deepgate::fcgi::audit
