// PostgreSQL-only behaviour of the key store: schema checks, hostile DSNs, the password kept
// out of every message, and the failure policy (stale window, 503, recovery) against a real
// server that is killed and restarted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fcgi/store/open_key_store.h"
#include "fcgi/store/postgres_key_store.h"
#include "tests/unit/auth_test_util.h"
#include "tests/unit/pg_test_server.h"

namespace deepgate::fcgi::store {
namespace {

class PostgresKeyStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pg_ = deepgate::testing::PgTestServer::Start().release(); }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }
  void SetUp() override {
    if (pg_ == nullptr) GTEST_SKIP() << "PostgreSQL binaries missing: these tests did NOT run";
  }
  static Result<std::unique_ptr<PostgresKeyStore>> Open(const std::string& dsn, int stale_s = 30, bool listen = false) {
    PgStoreOptions o;
    o.dsn = dsn;
    o.stale_key_seconds = stale_s;
    o.listen = listen;
    o.timeouts = PgTimeouts{1000, 1000};
    return PostgresKeyStore::Open(std::move(o));
  }
  static deepgate::testing::PgTestServer* pg_;
};
deepgate::testing::PgTestServer* PostgresKeyStoreTest::pg_ = nullptr;

auth::KeyRecord Key(const std::string& id) {
  auth::KeyRecord r;
  r.id = id;
  r.name = "k";
  r.role = "developer";
  r.hash = std::string(32, 'h');
  r.created_at = 1;
  r.expires_at = int64_t{1} << 40;
  return r;
}

TEST_F(PostgresKeyStoreTest, AWorkerRefusesADatabaseWithoutTheSchema) {
  auto s = Open(pg_->NewDatabase(false));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("deepgate store init"), std::string::npos) << s.status().message();
}

TEST_F(PostgresKeyStoreTest, ANewerSchemaIsRefusedAndMigrateIsIdempotent) {
  const std::string dsn = pg_->NewDatabase(true);
  auto c = PgConnection::Connect(dsn, {});
  ASSERT_TRUE(c.ok());
  auto again = PgMigrate(**c);  // already current: nothing to do
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, kPgSchemaVersion);
  ASSERT_TRUE((*c)->Script("UPDATE deepgate_schema SET version = 99").ok());
  auto s = Open(dsn);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().message();
  EXPECT_FALSE(PgMigrate(**c).ok());  // never downgrades
}

TEST_F(PostgresKeyStoreTest, HostileDsnsGiveClearErrorsWithoutThePassword) {
  const std::string secret = "s3cr3t-Pa55word-xyz";
  for (const std::string& dsn : {"host=127.0.0.1 password=" + secret + " port='unterminated",
                                 "nonsense " + secret, "postgresql://u:" + secret + "@[::1", std::string(3000, '=')}) {
    auto s = Open(dsn);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status().message();
    EXPECT_EQ(s.status().message().find(secret), std::string::npos) << s.status().message();
  }
  // Well-formed but wrong password: Unavailable, the message says why, never the password.
  std::string dsn = pg_->Dsn("postgres");
  const std::string real = pg_->password();
  dsn.replace(dsn.find(real), real.size(), secret);
  auto s = Open(dsn);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("password authentication failed"), std::string::npos) << s.status().message();
  EXPECT_EQ(s.status().message().find(secret), std::string::npos);
  // Nothing listens on the port: a clear error within the connect timeout.
  const auto t0 = std::chrono::steady_clock::now();
  auto closed = Open("host=127.0.0.1 port=1 user=x password=" + secret + " dbname=x");
  EXPECT_FALSE(closed.ok());
  EXPECT_EQ(closed.status().message().find(secret), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(PostgresKeyStoreTest, DsnFileMustBePrivate) {
  const std::string dir = auth::testing::TempDir("dsn");
  const std::string path = dir + "/dsn";
  std::ofstream(path) << pg_->Dsn("postgres") << "\n";
  std::filesystem::permissions(path, std::filesystem::perms(0644));
  StoreConfig config;
  auto loose = LoadDsn(StoreUrl{true, path}, config);
  EXPECT_FALSE(loose.ok());
  EXPECT_EQ(loose.status().message().find(pg_->password()), std::string::npos);
  std::filesystem::permissions(path, std::filesystem::perms(0600));
  auto ok = LoadDsn(StoreUrl{true, path}, config);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, pg_->Dsn("postgres"));
  std::ofstream(path) << "line1\nline2\n";
  EXPECT_FALSE(LoadDsn(StoreUrl{true, path}, config).ok());
  std::filesystem::remove_all(dir);
}

// The failure policy end to end: kill the server, the recently verified key keeps working for
// stale_key_seconds, unknown keys and writes are Unavailable at once, then the known key too;
// restart the server, everything works again through the same store object.
TEST_F(PostgresKeyStoreTest, OutageServesRecentKeysThenRefusesThenRecovers) {
  const std::string dsn = pg_->NewDatabase(true);
  auto store = Open(dsn, /*stale_s=*/2, /*listen=*/true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE((*store)->Insert(Key("00000000000000a1")).ok());
  ASSERT_TRUE((*store)->FindById("00000000000000a1")->has_value());
  pg_->Kill();
  const auto killed = std::chrono::steady_clock::now();
  auto stale = (*store)->FindById("00000000000000a1");
  ASSERT_TRUE(stale.ok()) << stale.status().message();
  EXPECT_TRUE(stale->has_value());
  EXPECT_EQ((*store)->FindById("00000000000000b2").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*store)->Insert(Key("00000000000000b3")).code(), StatusCode::kUnavailable);
  EXPECT_FALSE((*store)->Health().reachable);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100) - (std::chrono::steady_clock::now() - killed));
  EXPECT_EQ((*store)->FindById("00000000000000a1").status().code(), StatusCode::kUnavailable);
  EXPECT_GE((*store)->Health().stale_answers, 1u);
  pg_->Restart();
  Result<std::optional<auth::KeyRecord>> back = Status::Unavailable("not yet");
  for (int i = 0; i < 50 && !back.ok(); ++i) {
    back = (*store)->FindById("00000000000000a1");
    if (!back.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->has_value());
  EXPECT_TRUE((*store)->Insert(Key("00000000000000b3")).ok());
  EXPECT_TRUE((*store)->Health().reachable);
}

// A hung server (every process stopped, connections still open) must not hang a lookup or a
// write: each one ends within the timeouts (1 s here) plus the lock wait, never more.
TEST_F(PostgresKeyStoreTest, AHungServerNeverHangsACall) {
  const std::string dsn = pg_->NewDatabase(true);
  auto store = Open(dsn, /*stale_s=*/30, /*listen=*/true);
  ASSERT_TRUE(store.ok()) << store.status().message();
  ASSERT_TRUE((*store)->Insert(Key("00000000000000a1")).ok());
  ASSERT_TRUE((*store)->FindById("00000000000000a1")->has_value());
  pg_->Freeze();
  std::vector<std::thread> callers;
  std::atomic<int> unavailable{0};
  std::atomic<int64_t> slowest_ms{0};
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      const auto t0 = std::chrono::steady_clock::now();
      Status s = i % 2 == 0 ? (*store)->FindById("00000000000000b" + std::to_string(i)).status()
                            : (*store)->Revoke("00000000000000a1", 5);
      if (s.code() == StatusCode::kUnavailable) ++unavailable;
      const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      int64_t prev = slowest_ms.load();
      while (ms > prev && !slowest_ms.compare_exchange_weak(prev, ms)) {
      }
    });
  for (auto& t : callers) t.join();
  pg_->Thaw();
  EXPECT_EQ(unavailable.load(), 4);
  std::printf("hung server: 4 concurrent calls, slowest answered Unavailable after %lld ms\n",
              static_cast<long long>(slowest_ms.load()));
  EXPECT_LT(slowest_ms.load(), 3500);  // statement 1 s + lock wait 1 s + connect 1 s, with slack
}

}  // namespace
}  // namespace deepgate::fcgi::store
