// API keys: format, keyed hash, constant-time compare; the SQLite key store (CRUD, a second
// connection sees commits, file mode); rotation and expiry through CredentialVerifier with an
// injected clock — one test per key-related AuthFailure.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "auth_test_util.h"
#include "fcgi/auth/access_token.h"
#include "fcgi/auth/jwt_verifier.h"
#include "fcgi/auth/api_key.h"
#include "fcgi/auth/clock.h"
#include "fcgi/auth/credential_verifier.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/auth/sqlite_key_store.h"

namespace deepgate::fcgi::auth {
namespace {

constexpr int64_t kT0 = 1700000000;
constexpr int64_t kDay = 86400;

TEST(ApiKeyTest, FormatIsPrefixHexIdAndBase64UrlSecret) {
  auto k = GenerateApiKey(std::string(32, 'm'), kT0);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->plaintext.size(), 3 + 16 + 1 + 43u);
  EXPECT_EQ(k->plaintext.rfind("dg_" + k->id + "_", 0), 0u);
  auto parsed = ParseApiKey(k->plaintext);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, k->id);
  EXPECT_NE(GenerateApiKey(std::string(32, 'm'), kT0)->plaintext, k->plaintext);  // fresh salt each time
}

TEST(ApiKeyTest, RejectsOtherShapes) {
  EXPECT_FALSE(ParseApiKey("dg_short_x"));
  EXPECT_FALSE(ParseApiKey("dg_0123456789ABCDEF_" + std::string(43, 'a')));  // upper-case id
  EXPECT_FALSE(ParseApiKey("dg_0123456789abcdef-" + std::string(43, 'a')));
  EXPECT_FALSE(ParseApiKey("dg_0123456789abcdef_" + std::string(42, 'a') + "*"));
  EXPECT_TRUE(ParseApiKey("dg_0123456789abcdef_" + std::string(42, 'a') + "A"));
}

TEST(ApiKeyTest, HashIsKeyedByThePepper) {
  EXPECT_EQ(HashApiKey("pepper-a", "dg_x").size(), 32u);
  EXPECT_NE(HashApiKey("pepper-a", "dg_x"), HashApiKey("pepper-b", "dg_x"));
}

TEST(ApiKeyTest, ConstantTimeEqualsComparesLengthAndBytes) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

// RFC 4231 test cases 1, 2 and 6 (the last with a key longer than SHA-256's block).
TEST(HmacSha256Test, Rfc4231Vectors) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Base64UrlTest, RoundTripsAndIsStrict) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\xff\xfe\x00", 3)})
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
  EXPECT_FALSE(Base64UrlDecode("Zg=="));  // padding
  EXPECT_FALSE(Base64UrlDecode("Zh"));    // non-zero unused bits
  EXPECT_FALSE(Base64UrlDecode("Z"));
  EXPECT_FALSE(Base64UrlDecode("a+b/"));
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("store");
    path_ = dir_ + "/keys.db";
    auto s = SqliteKeyStore::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    secrets_ = {std::string(32, 'm'), std::string(32, 'p'), std::string(32, 'j')};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  IssuedKey Create(const std::string& name, int64_t now = kT0) {
    KeySpec spec;
    spec.name = name;
    spec.role = "developer";
    spec.models = {"m1", "m2"};
    auto k = CreateKey(*store_, secrets_, spec, now);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return *k;
  }
  CredentialVerifier Verifier() { return CredentialVerifier(*store_, secrets_.pepper, JwtVerifier({})); }

  std::string dir_, path_;
  std::unique_ptr<KeyStore> store_;
  Secrets secrets_;
};

TEST_F(KeyStoreTest, FileIsCreatedOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(KeyStoreTest, RefusesAWorldReadableFile) {
  chmod(path_.c_str(), 0644);
  EXPECT_FALSE(SqliteKeyStore::Open(path_).ok());
}

TEST_F(KeyStoreTest, StoresOnlyTheHashWithDefaults) {
  IssuedKey k = Create("ci");
  auto found = store_->FindById(k.record.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  const KeyRecord& r = **found;
  EXPECT_EQ(r.hash, HashApiKey(secrets_.pepper, k.plaintext));
  EXPECT_EQ(r.requests_per_min, 120);
  EXPECT_EQ(r.expires_at, kT0 + 90 * kDay);
  EXPECT_EQ(r.models, (std::vector<std::string>{"m1", "m2"}));
}

TEST_F(KeyStoreTest, SecondConnectionSeesCommittedKeys) {
  IssuedKey k = Create("ci");
  auto other = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(other.ok());
  auto found = (*other)->FindById(k.record.id);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->has_value());
  ASSERT_TRUE((*other)->Revoke(k.record.id, kT0 + 1).ok());
  EXPECT_EQ((*store_->FindById(k.record.id))->revoked_at, kT0 + 1);
}

// FindById answers from memory; a write by another connection (the CLI, another worker)
// or by this one must still be seen by the very next lookup, many times in a row (commits
// land within one file-timestamp tick here).
TEST_F(KeyStoreTest, CachedLookupsSeeEveryCommitAtOnce) {
  auto other = SqliteKeyStore::Open(path_);
  ASSERT_TRUE(other.ok());
  for (int i = 0; i < 40; ++i) {
    IssuedKey k = Create("k" + std::to_string(i));
    ASSERT_TRUE(Verifier().Verify(k.plaintext, kT0 + 1).ok());  // now cached
    ASSERT_TRUE(Verifier().Verify(k.plaintext, kT0 + 1).ok());
    KeyStore& writer = i % 2 == 0 ? **other : *store_;
    ASSERT_TRUE(writer.Revoke(k.record.id, kT0 + 2).ok());
    EXPECT_EQ(Verifier().Verify(k.plaintext, kT0 + 3).failure, AuthFailure::kKeyRevoked) << "round " << i;
  }
}

// The change stamp keeps descriptors of the store and its -wal open between lookups: a
// store that closes must close them (workers reopen stores on reload).
TEST_F(KeyStoreTest, ClosingAStoreLeavesNoDescriptorOpen) {
  const auto open_fds = [] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
  };
  IssuedKey k = Create("fd");
  const auto open_look_up_close = [&] {
    auto other = SqliteKeyStore::Open(path_);
    ASSERT_TRUE(other.ok());
    auto found = (*other)->FindById(k.record.id);  // stamps: opens the descriptors
    ASSERT_TRUE(found.ok() && found->has_value());
  };
  // SQLite itself may keep one descriptor of a closed connection while another connection
  // of this process holds locks on the file: count after a first cycle, then none may grow.
  open_look_up_close();
  const size_t before = open_fds();
  for (int i = 0; i < 5; ++i) open_look_up_close();
  EXPECT_EQ(open_fds(), before);
}

TEST_F(KeyStoreTest, ListAndListExpiring) {
  Create("a");
  KeySpec soon;
  soon.name = "soon";
  soon.role = "developer";
  soon.lifetime_s = 10 * kDay;
  ASSERT_TRUE(CreateKey(*store_, secrets_, soon, kT0).ok());
  EXPECT_EQ(store_->List()->size(), 2u);
  auto expiring = store_->ListExpiring(kT0, 14 * kDay);
  ASSERT_EQ(expiring->size(), 1u);
  EXPECT_EQ((*expiring)[0].name, "soon");
  EXPECT_EQ(store_->ListExpiring(kT0 + 11 * kDay, 14 * kDay)->size(), 0u);  // "soon" has expired: not listed
  EXPECT_EQ(store_->ListExpiring(kT0 + 80 * kDay, 14 * kDay)->size(), 1u);  // "a"
}

TEST_F(KeyStoreTest, RevokeUnknownIsNotFound) {
  EXPECT_EQ(store_->Revoke("0123456789abcdef", kT0).code(), StatusCode::kNotFound);
}

TEST_F(KeyStoreTest, ValidKeyGivesPrincipalWithGrants) {
  IssuedKey k = Create("ci");
  Verdict v = Verifier().Verify(k.plaintext, kT0 + 1);
  ASSERT_TRUE(v.ok()) << AuthFailureName(v.failure);
  EXPECT_EQ(v.principal.key_id, k.record.id);
  EXPECT_EQ(v.principal.role, "developer");
  EXPECT_EQ(v.principal.requests_per_min, 120);
  EXPECT_EQ(v.principal.allowed_models.size(), 2u);
}

TEST_F(KeyStoreTest, KeyMalformed) { EXPECT_EQ(Verifier().Verify("dg_nope", kT0).failure, AuthFailure::kKeyMalformed); }

TEST_F(KeyStoreTest, KeyUnknown) {
  EXPECT_EQ(Verifier().Verify("dg_0123456789abcdef_" + std::string(43, 'A'), kT0).failure, AuthFailure::kKeyUnknown);
}

TEST_F(KeyStoreTest, KeyMismatch) {
  IssuedKey k = Create("ci");
  std::string wrong = k.plaintext;
  wrong.back() = wrong.back() == 'A' ? 'Q' : 'A';
  EXPECT_EQ(Verifier().Verify(wrong, kT0).failure, AuthFailure::kKeyMismatch);
}

TEST_F(KeyStoreTest, KeyRevoked) {
  IssuedKey k = Create("ci");
  ASSERT_TRUE(store_->Revoke(k.record.id, kT0 + 5).ok());
  EXPECT_EQ(Verifier().Verify(k.plaintext, kT0 + 6).failure, AuthFailure::kKeyRevoked);
}

TEST_F(KeyStoreTest, KeyExpired) {
  IssuedKey k = Create("ci");
  EXPECT_TRUE(Verifier().Verify(k.plaintext, kT0 + 90 * kDay - 1).ok());
  EXPECT_EQ(Verifier().Verify(k.plaintext, kT0 + 90 * kDay).failure, AuthFailure::kKeyExpired);
}

TEST_F(KeyStoreTest, RotationKeepsOldKeyForTheOverlapThenRejectsIt) {
  FakeClock clock(kT0);
  IssuedKey old = Create("ci");
  clock.Advance(30 * kDay);
  auto fresh = RotateKey(*store_, secrets_, old.record.id, 7 * kDay, clock.NowUnix());
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_EQ(fresh->record.rotated_from, old.record.id);
  EXPECT_EQ(fresh->record.expires_at, clock.NowUnix() + 90 * kDay);
  EXPECT_EQ(fresh->record.models, old.record.models);
  clock.Advance(7 * kDay - 1);
  EXPECT_TRUE(Verifier().Verify(old.plaintext, clock.NowUnix()).ok());
  EXPECT_TRUE(Verifier().Verify(fresh->plaintext, clock.NowUnix()).ok());
  clock.Advance(1);
  EXPECT_EQ(Verifier().Verify(old.plaintext, clock.NowUnix()).failure, AuthFailure::kKeyRotated);
  EXPECT_TRUE(Verifier().Verify(fresh->plaintext, clock.NowUnix()).ok());
  EXPECT_FALSE(RotateKey(*store_, secrets_, old.record.id, 0, clock.NowUnix()).ok());  // once only
}

TEST_F(KeyStoreTest, TokenTooLarge) {
  EXPECT_EQ(Verifier().Verify(std::string(kMaxTokenBytes + 1, 'a'), kT0).failure, AuthFailure::kTokenTooLarge);
}

}  // namespace
}  // namespace deepgate::fcgi::auth

namespace deepgate::fcgi::auth {
namespace {

// Our access tokens stand for a key: revoking the key ends them at once, before their exp.
TEST_F(KeyStoreTest, RevokingAKeyEndsItsAccessTokensAtOnce) {
  IssuedKey k = Create("jwt-holder");
  JwtVerifierConfig c;
  c.roles = {"developer"};
  JwtIssuerConfig ours;
  ours.issuer = "deepgate";
  ours.audiences = {"deepgate-api"};
  ours.algorithms = {JwsAlg::kHS256};
  VerificationKey hs;
  hs.kid = kOurJwtKid;
  hs.hmac_secret = secrets_.jwt_key;
  ours.keys = {hs};
  ours.ours = true;
  c.issuers.push_back(ours);
  CredentialVerifier verifier(*store_, secrets_.pepper, JwtVerifier(c));
  auto token = IssueAccessToken(PrincipalForKey(k.record), {"deepgate", "deepgate-api", secrets_.jwt_key, 3600}, kT0);
  ASSERT_TRUE(token.ok()) << token.status().message();
  Verdict before = verifier.Verify(token->jwt, kT0 + 1);
  EXPECT_EQ(before.failure, AuthFailure::kNone);
  EXPECT_EQ(before.principal.key_id, k.record.id);
  ASSERT_TRUE(store_->Revoke(k.record.id, kT0 + 2).ok());
  Verdict after = verifier.Verify(token->jwt, kT0 + 3);
  EXPECT_EQ(after.failure, AuthFailure::kKeyRevoked);
  EXPECT_EQ(after.key_id, k.record.id);
  EXPECT_FALSE(after.principal.authenticated);
}

}  // namespace
}  // namespace deepgate::fcgi::auth
