// Data-subject erasure: audit pseudonyms (stable per subject, an HMAC and not the subject,
// new after erasure), owner subjects on keys, EraseSubject and the cache-purge queue, the
// sink writing SUBJECT as the pseudonym.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "auth_test_util.h"
#include "fcgi/audit/journal_audit_sink.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/auth/credential_verifier.h"
#include "fcgi/auth/jwt_verifier.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/auth/sqlite_key_store.h"

namespace deepgate::fcgi::audit {
namespace {

constexpr int64_t kT0 = 1700000000;

class ErasureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = auth::testing::TempDir("erasure");
    auto s = auth::SqliteKeyStore::Open(dir_ + "/keys.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    secrets_ = {std::string(32, 'm'), std::string(32, 'p'), std::string(32, 'j')};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  auth::IssuedKey Create(const std::string& name, const std::string& subject) {
    auth::KeySpec spec;
    spec.name = name;
    spec.role = "developer";
    spec.subject = subject;
    auto k = auth::CreateKey(*store_, secrets_, spec, kT0);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return *k;
  }

  std::string dir_;
  std::unique_ptr<auth::KeyStore> store_;
  auth::Secrets secrets_;
};

TEST_F(ErasureTest, PseudonymIsStablePerSubjectAndNotTheSubject) {
  SubjectPseudonyms p(*store_, [] { return kT0; });
  const std::string a = p.Pseudonym("alice@example.com");
  EXPECT_EQ(a.rfind("ps_", 0), 0u);
  EXPECT_EQ(a.size(), 3 + 32u);
  EXPECT_EQ(a.find("alice"), std::string::npos);
  EXPECT_EQ(p.Pseudonym("alice@example.com"), a);
  EXPECT_NE(p.Pseudonym("bob@example.com"), a);
  // A second process (another worker, the CLI) derives the same pseudonym from the store.
  SubjectPseudonyms other(*store_, [] { return kT0; });
  EXPECT_EQ(other.Pseudonym("alice@example.com"), a);
}

TEST_F(ErasureTest, PseudonymIsAKeyedHmacNotAPlainHash) {
  SubjectPseudonyms p(*store_, [] { return kT0; });
  const std::string a = p.Pseudonym("alice");
  // An unkeyed hash of the subject would let anyone with a list of names re-identify entries.
  EXPECT_NE(a.substr(3), auth::HexEncode(auth::HmacSha256("", "alice")).substr(0, 32));
  auto key = store_->SubjectKey("alice", std::string(32, 'x'), kT0);
  ASSERT_TRUE(key.ok());
  EXPECT_NE(*key, std::string(32, 'x'));  // the first key stored stays
  EXPECT_EQ(a.substr(3), auth::HexEncode(auth::HmacSha256(*key, "alice")).substr(0, 32));
}

TEST_F(ErasureTest, PlaceholdersAreNotPseudonymised) {
  SubjectPseudonyms p(*store_, [] { return kT0; });
  EXPECT_EQ(p.Pseudonym("-"), "-");
  EXPECT_EQ(p.Pseudonym("anonymous"), "anonymous");
  EXPECT_EQ(p.Pseudonym(""), "");
}

TEST_F(ErasureTest, EraseDeletesTheSubjectsKeysAndPseudonymKey) {
  const auth::IssuedKey k1 = Create("laptop", "alice");
  const auth::IssuedKey k2 = Create("ci", "alice");
  const auth::IssuedKey bob = Create("bob", "");
  SubjectPseudonyms p(*store_, [] { return kT0; });
  const std::string before = p.Pseudonym("alice");
  auto erased = store_->EraseSubject("alice", kT0);
  ASSERT_TRUE(erased.ok()) << erased.status().message();
  EXPECT_EQ(erased->keys_deleted, 2);
  EXPECT_TRUE(erased->pseudonym_key_deleted);
  EXPECT_FALSE(store_->FindById(k1.record.id)->has_value());
  EXPECT_FALSE(store_->FindById(k2.record.id)->has_value());
  EXPECT_TRUE(store_->FindById(bob.record.id)->has_value());
  // The cached key is dropped when the purge queue says so; a new one is made on next use.
  PurgeFollower follower(*store_, &p, nullptr);
  auto n = follower.Poll();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_NE(p.Pseudonym("alice"), before);
}

TEST_F(ErasureTest, EraseByKeyIdRemovesAKeyWithoutOwner) {
  const auth::IssuedKey k = Create("solo", "");
  auto erased = store_->EraseSubject(k.record.id, kT0);
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->keys_deleted, 1);
  EXPECT_FALSE(store_->FindById(k.record.id)->has_value());
}

TEST_F(ErasureTest, ErasedKeyNoLongerAuthenticates) {
  const auth::IssuedKey k = Create("laptop", "alice");
  auth::CredentialVerifier v(*store_, secrets_.pepper, auth::JwtVerifier({}));
  auth::Verdict ok = v.Verify(k.plaintext, kT0 + 1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.principal.data_subject, "alice");
  EXPECT_EQ(ok.principal.subject, "key:" + k.record.id);  // rate limits stay keyed by the key (its namespace)
  ASSERT_TRUE(store_->EraseSubject("alice", kT0).ok());
  EXPECT_EQ(v.Verify(k.plaintext, kT0 + 1).failure, auth::AuthFailure::kKeyUnknown);
}

TEST_F(ErasureTest, RotationKeepsTheOwnerSubject) {
  const auth::IssuedKey k = Create("laptop", "alice");
  auto r = auth::RotateKey(*store_, secrets_, k.record.id, 60, kT0 + 10);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->record.subject, "alice");
  EXPECT_EQ(store_->EraseSubject("alice", kT0)->keys_deleted, 2);
}

TEST_F(ErasureTest, PurgeQueueIsFollowedInOrderFromWhereAWorkerStarts) {
  ASSERT_TRUE(store_->RecordCachePurge("old", kT0).ok());
  std::vector<std::string> seen;
  PurgeFollower follower(*store_, nullptr, [&](const std::string& s) { seen.push_back(s); });
  ASSERT_TRUE(follower.Start().ok());
  EXPECT_EQ(*follower.Poll(), 0);  // purges before the start are not replayed
  ASSERT_TRUE(store_->RecordCachePurge("alice", kT0).ok());
  ASSERT_TRUE(store_->RecordCachePurge("", kT0).ok());
  EXPECT_EQ(*follower.Poll(), 2);
  EXPECT_EQ(seen, (std::vector<std::string>{"alice", ""}));
  EXPECT_EQ(*follower.Poll(), 0);
  auto all = store_->ListCachePurgesSince(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_LT((*all)[0].seq, (*all)[1].seq);
}

class CapturingJournal final : public JournalWriter {
 public:
  explicit CapturingJournal(std::vector<std::vector<std::string>>* out) : out_(out) {}
  int Send(const std::vector<std::string>& fields) override {
    out_->push_back(fields);
    return 0;
  }

 private:
  std::vector<std::vector<std::string>>* out_;
};

TEST_F(ErasureTest, SinkWritesThePseudonymNeverTheSubject) {
  std::vector<std::vector<std::string>> entries;
  JournalAuditSink sink(std::make_unique<CapturingJournal>(&entries), false);
  SubjectPseudonyms p(*store_, [] { return kT0; });
  sink.SetPseudonyms(&p);
  AuditRecord r;
  r.request_id = "r1";
  r.method = "GET";
  r.path = "/v1/models";
  r.status = 200;
  r.subject = "alice@example.com";
  sink.Record(r);
  ASSERT_EQ(entries.size(), 1u);
  bool found = false;
  for (const std::string& f : entries[0]) {
    EXPECT_EQ(f.find("alice"), std::string::npos) << f;
    if (f == "SUBJECT=" + p.Pseudonym("alice@example.com")) found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace deepgate::fcgi::audit

namespace deepgate::fcgi::audit {
namespace {

TEST_F(ErasureTest, HasSubjectKeyDoesNotMakeOne) {
  EXPECT_FALSE(*store_->HasSubjectKey("carol"));
  EXPECT_FALSE(*store_->HasSubjectKey("carol"));
  SubjectPseudonyms p(*store_, [] { return kT0; });
  (void)p.Pseudonym("carol");
  EXPECT_TRUE(*store_->HasSubjectKey("carol"));
  EXPECT_EQ(p.Pseudonym("deepgate"), "deepgate");  // the worker's own events name no person
}

TEST(KeyStoreMigrationTest, AStoreWithoutTheSubjectColumnGetsIt) {
  const std::string dir = auth::testing::TempDir("migrate");
  const std::string path = dir + "/keys.db";
  {
    auto s = auth::SqliteKeyStore::Open(path);
    ASSERT_TRUE(s.ok());
  }
  // Rebuild api_keys as the previous release made it (no subject column), with one key.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX api_keys_subject; DROP TABLE api_keys;"
                         "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
                         " hash BLOB NOT NULL, models TEXT NOT NULL DEFAULT '', requests_per_min INTEGER NOT NULL,"
                         " tokens_per_min INTEGER NOT NULL, max_concurrent INTEGER NOT NULL, created_at INTEGER NOT NULL,"
                         " expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
                         " rotated_from TEXT NOT NULL DEFAULT '', superseded_by TEXT NOT NULL DEFAULT '');"
                         "INSERT INTO api_keys VALUES ('00000000000000aa','old','developer',x'00','',1,0,0,1,2,0,'','');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = auth::SqliteKeyStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto old = (*s)->FindById("00000000000000aa");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->subject, "");
  EXPECT_EQ((*s)->EraseSubject("00000000000000aa", kT0)->keys_deleted, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deepgate::fcgi::audit
