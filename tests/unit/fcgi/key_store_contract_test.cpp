// The KeyStore contract, run against both backends: SQLite (a temp file) and a real
// PostgreSQL (tests/unit/pg_test_server.h, one fresh database per test).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/store/postgres_key_store.h"
#include "tests/unit/auth_test_util.h"
#include "tests/unit/pg_test_server.h"

namespace deepgate::fcgi {
namespace {

using auth::KeyRecord;
using auth::KeyStore;

KeyRecord Key(const std::string& id, int64_t created, const std::string& subject = "") {
  KeyRecord r;
  r.id = id;
  r.name = "name-" + id;
  r.role = "developer";
  r.hash = std::string("\x00\x01\xff\x7f", 4) + std::string(28, static_cast<char>(id.back()));  // binary, with a NUL
  r.models = {"m-a", "m-b"};
  r.requests_per_min = 60;
  r.tokens_per_min = 1000;
  r.max_concurrent = 2;
  r.created_at = created;
  r.expires_at = created + 1000;
  r.subject = subject;
  r.data_policy = DataPolicy::kMayLeave;
  r.cert_sha256 = std::string(64, 'c');
  return r;
}

enum class Backend { kSqlite, kPostgres };

class KeyStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  // The server starts with the first PostgreSQL case (ctest runs each case alone: the SQLite
  // ones then never pay for an initdb).
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = auth::testing::TempDir("contract");
      auto s = auth::SqliteKeyStore::Open(dir_ + "/keys.db");
      ASSERT_TRUE(s.ok()) << s.status().message();
      store_ = std::move(s).value();
      return;
    }
    if (!pg_tried_) {
      pg_tried_ = true;
      pg_ = testing::PgTestServer::Start().release();
    }
    if (pg_ == nullptr) GTEST_SKIP() << "PostgreSQL binaries missing: the PostgreSQL contract did NOT run";
    dsn_ = pg_->NewDatabase(true);
    store_ = OpenPg(dsn_, false);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A second handle on the same store: another process in real life.
  std::unique_ptr<KeyStore> Other(bool listen = false) {
    if (GetParam() == Backend::kSqlite) {
      auto s = auth::SqliteKeyStore::Open(dir_ + "/keys.db");
      return s.ok() ? std::move(s).value() : nullptr;
    }
    return OpenPg(dsn_, listen);
  }

  static std::unique_ptr<KeyStore> OpenPg(const std::string& dsn, bool listen) {
    store::PgStoreOptions o;
    o.dsn = dsn;
    o.listen = listen;
    auto s = store::PostgresKeyStore::Open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  static testing::PgTestServer* pg_;
  static bool pg_tried_;
  std::string dir_, dsn_;
  std::unique_ptr<KeyStore> store_;
};
testing::PgTestServer* KeyStoreContract::pg_ = nullptr;
bool KeyStoreContract::pg_tried_ = false;

TEST_P(KeyStoreContract, InsertFindRoundTripsEveryField) {
  const KeyRecord k = Key("00000000000000a1", 100, "alice");
  ASSERT_TRUE(store_->Insert(k).ok());
  auto found = Other()->FindById(k.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  const KeyRecord& r = **found;
  EXPECT_EQ(r.hash, k.hash);
  EXPECT_EQ(r.models, k.models);
  EXPECT_EQ(r.name, k.name);
  EXPECT_EQ(r.role, k.role);
  EXPECT_EQ(r.requests_per_min, 60);
  EXPECT_EQ(r.tokens_per_min, 1000);
  EXPECT_EQ(r.max_concurrent, 2);
  EXPECT_EQ(r.expires_at, 1100);
  EXPECT_EQ(r.subject, "alice");
  EXPECT_EQ(r.data_policy, DataPolicy::kMayLeave);
  EXPECT_EQ(r.cert_sha256, k.cert_sha256);
  EXPECT_EQ(r.totp_sealed, "");
  EXPECT_EQ(r.totp_last_step, 0);
  auto none = store_->FindById("00000000000000ff");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(store_->Insert(k).code(), StatusCode::kInvalidArgument);  // duplicate id
}

// TOTP (issue 16): the sealed secret is binary, each step is taken once across handles (two
// workers or hosts), and setting a secret resets the step.
TEST_P(KeyStoreContract, TotpStepIsTakenOnceAcrossHandles) {
  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100)).ok());
  const std::string sealed = std::string("\x00\xfe", 2) + std::string(40, 's');
  ASSERT_TRUE(store_->SetTotp("00000000000000a1", sealed).ok());
  EXPECT_EQ(store_->SetTotp("00000000000000ff", sealed).code(), StatusCode::kNotFound);
  auto other = Other();
  EXPECT_TRUE(store_->ConsumeTotpStep("00000000000000a1", 10).value());
  EXPECT_FALSE(other->ConsumeTotpStep("00000000000000a1", 10).value());
  EXPECT_FALSE(other->ConsumeTotpStep("00000000000000a1", 9).value());
  EXPECT_TRUE(other->ConsumeTotpStep("00000000000000a1", 11).value());
  auto r = store_->FindById("00000000000000a1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->totp_sealed, sealed);
  EXPECT_EQ((*r)->totp_last_step, 11);
  ASSERT_TRUE(store_->SetTotp("00000000000000a1", "").ok());
  r = other->FindById("00000000000000a1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->totp_sealed, "");
  EXPECT_EQ((*r)->totp_last_step, 0);
}

TEST_P(KeyStoreContract, ListNewestFirstAndExpiring) {
  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100)).ok());
  ASSERT_TRUE(store_->Insert(Key("00000000000000a2", 200)).ok());
  auto all = store_->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "00000000000000a2");
  auto expiring = store_->ListExpiring(1000, 150);  // a1 expires at 1100, a2 at 1200
  ASSERT_TRUE(expiring.ok());
  ASSERT_EQ(expiring->size(), 1u);
  EXPECT_EQ((*expiring)[0].id, "00000000000000a1");
}

TEST_P(KeyStoreContract, RevokeKeepsTheFirstTime) {
  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100)).ok());
  EXPECT_EQ(store_->Revoke("00000000000000ff", 5).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->Revoke("00000000000000a1", 500).ok());
  ASSERT_TRUE(store_->Revoke("00000000000000a1", 600).ok());
  auto r = Other()->FindById("00000000000000a1");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->revoked_at, 500);
}

TEST_P(KeyStoreContract, SupersedeIsAtomic) {
  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100)).ok());
  ASSERT_TRUE(store_->Insert(Key("00000000000000a2", 100)).ok());
  // The replacement's id is taken: the whole rotation is rolled back.
  EXPECT_FALSE(store_->Supersede("00000000000000a1", Key("00000000000000a2", 300), 900).ok());
  auto old = Other()->FindById("00000000000000a1");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->superseded_by, "");
  EXPECT_EQ((*old)->expires_at, 1100);

  KeyRecord next = Key("00000000000000b1", 300);
  next.rotated_from = "00000000000000a1";
  ASSERT_TRUE(store_->Supersede("00000000000000a1", next, 900).ok());
  old = Other()->FindById("00000000000000a1");
  ASSERT_TRUE(old.ok() && old->has_value());
  EXPECT_EQ((*old)->superseded_by, "00000000000000b1");
  EXPECT_EQ((*old)->expires_at, 900);  // brought forward
  // Never extended, and a second rotation of the same key is refused.
  EXPECT_EQ(store_->Supersede("00000000000000a1", Key("00000000000000b2", 300), 5000).code(), StatusCode::kNotFound);
}

TEST_P(KeyStoreContract, SubjectKeysAndErasure) {
  auto k1 = store_->SubjectKey("alice", std::string(32, 'x'), 10);
  auto k2 = Other()->SubjectKey("alice", std::string(32, 'y'), 11);
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ(*k1, std::string(32, 'x'));
  EXPECT_EQ(*k2, *k1);  // the stored one wins
  EXPECT_TRUE(*store_->HasSubjectKey("alice"));
  EXPECT_FALSE(*store_->HasSubjectKey("bob"));
  ASSERT_EQ(store_->ListSubjectKeys()->size(), 1u);

  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100, "alice")).ok());
  ASSERT_TRUE(store_->Insert(Key("00000000000000a2", 100, "bob")).ok());
  const int64_t before = *store_->LastCachePurgeSeq();
  auto erased = store_->EraseSubject("alice", 50);
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->keys_deleted, 1);
  EXPECT_TRUE(erased->pseudonym_key_deleted);
  EXPECT_GT(erased->purge_seq, before);
  EXPECT_FALSE(store_->FindById("00000000000000a1")->has_value());
  EXPECT_TRUE(store_->FindById("00000000000000a2")->has_value());
  EXPECT_FALSE(*store_->HasSubjectKey("alice"));

  auto seq = store_->RecordCachePurge("", 60);
  ASSERT_TRUE(seq.ok());
  auto purges = Other()->ListCachePurgesSince(before);
  ASSERT_TRUE(purges.ok());
  ASSERT_EQ(purges->size(), 2u);
  EXPECT_EQ((*purges)[0].subject, "alice");
  EXPECT_EQ((*purges)[1].subject, "");
  EXPECT_EQ(*store_->LastCachePurgeSeq(), *seq);
}

// Another handle (another worker, another host) sees a revocation; with PostgreSQL the
// listening handle caches records and must drop them on the NOTIFY.
TEST_P(KeyStoreContract, AnotherHandleSeesRevocationWithinASecond) {
  ASSERT_TRUE(store_->Insert(Key("00000000000000a1", 100)).ok());
  std::unique_ptr<KeyStore> reader = Other(/*listen=*/true);
  ASSERT_NE(reader, nullptr);
  // Let the listener connect, then warm the reader's cache.
  for (int i = 0; i < 100 && GetParam() == Backend::kPostgres && !reader->Health().listening; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 3; ++i) ASSERT_EQ((*reader->FindById("00000000000000a1"))->revoked_at, 0);
  ASSERT_TRUE(store_->Revoke("00000000000000a1", 7).ok());
  const auto t0 = std::chrono::steady_clock::now();
  while ((*reader->FindById("00000000000000a1"))->revoked_at == 0) {
    ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1)) << "revocation not seen within 1 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyStoreContract, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return info.param == Backend::kSqlite ? "Sqlite" : "Postgres"; });

}  // namespace
}  // namespace deepgate::fcgi
