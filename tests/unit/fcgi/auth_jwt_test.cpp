// JwtVerifier: one test per AuthFailure reason, plus the accepted cases (HS256 ours, RS256 and
// ES256 from an IdP's JWKS). Time is a parameter: tokens are checked at a fixed kNow.
#include <gtest/gtest.h>

#include "auth_test_util.h"
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fcgi/auth/access_token.h"
#include "fcgi/auth/auth_config.h"
#include "fcgi/auth/jwks.h"
#include "fcgi/auth/jwt_verifier.h"

namespace deepgate::fcgi::auth {
namespace {

using namespace testing;  // NOLINT

constexpr int64_t kNow = 1700000000;
const std::string kHsKey(32, 'k');

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = MakeRsaKey();
    ec_ = MakeEcKey();
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(rsa_);
    EVP_PKEY_free(ec_);
  }

  JwtVerifier Verifier() const {
    JwtVerifierConfig c;
    c.leeway_s = 30;
    c.roles = {"admin", "developer"};
    JwtIssuerConfig ours;
    ours.issuer = "deepgate";
    ours.audiences = {"deepgate-api"};
    ours.algorithms = {JwsAlg::kHS256};
    VerificationKey hs;
    hs.kid = kOurJwtKid;
    hs.hmac_secret = kHsKey;
    ours.keys = {hs};
    ours.ours = true;
    c.issuers.push_back(ours);
    JwtIssuerConfig idp;
    idp.issuer = "https://idp.example";
    idp.audiences = {"deepgate"};
    idp.algorithms = {JwsAlg::kRS256, JwsAlg::kES256};
    auto keys = ParseJwks(Jwks(rsa_, "rsa1", ec_, "ec1"), "test");
    EXPECT_TRUE(keys.ok()) << keys.status().message();
    idp.keys = *keys;
    idp.role_claim = "groups";
    idp.role_map = {{"llm-users", "developer"}};
    c.issuers.push_back(idp);
    return JwtVerifier(c);
  }

  static Json::Value OurClaims() {
    Json::Value p;
    p["iss"] = "deepgate";
    p["aud"] = "deepgate-api";
    p["sub"] = "0123456789abcdef";
    p["role"] = "developer";
    p["iat"] = Json::Int64(kNow - 10);
    p["exp"] = Json::Int64(kNow + 600);
    p["models"].append("m1");
    p["rpm"] = 60;
    return p;
  }
  static Json::Value IdpClaims() {
    Json::Value p;
    p["iss"] = "https://idp.example";
    p["aud"] = "deepgate";
    p["sub"] = "alice";
    p["groups"].append("other");
    p["groups"].append("llm-users");
    p["exp"] = Json::Int64(kNow + 600);
    return p;
  }
  static std::string Hs(const Json::Value& claims, Json::Value header = Json::Value(Json::objectValue)) {
    if (!header.isMember("kid")) header["kid"] = kOurJwtKid;
    return EncodeHs256Jwt(header, claims, kHsKey);
  }
  static std::string Rs(const Json::Value& claims, const std::string& kid = "rsa1") {
    Json::Value h;
    h["alg"] = "RS256";
    h["kid"] = kid;
    const std::string in = Segments(h, claims);
    return in + "." + Base64UrlEncode(SignWith(rsa_, in));
  }
  static std::string Es(const Json::Value& claims) {
    Json::Value h;
    h["alg"] = "ES256";
    h["kid"] = "ec1";
    const std::string in = Segments(h, claims);
    return in + "." + Base64UrlEncode(DerToRaw(SignWith(ec_, in)));
  }
  AuthFailure Check(const std::string& token) const {
    Principal p;
    return Verifier().Verify(token, kNow, &p);
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* ec_;
};
EVP_PKEY* JwtVerifierTest::rsa_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_ = nullptr;

TEST_F(JwtVerifierTest, AcceptsOurHs256TokenWithItsGrants) {
  Principal p;
  ASSERT_EQ(Verifier().Verify(Hs(OurClaims()), kNow, &p), AuthFailure::kNone);
  EXPECT_EQ(p.subject, "key:0123456789abcdef");  // limits share the key's namespace
  EXPECT_EQ(p.data_subject, "0123456789abcdef");
  EXPECT_EQ(p.key_id, "0123456789abcdef");
  EXPECT_EQ(p.role, "developer");
  EXPECT_EQ(p.method, "jwt");
  EXPECT_EQ(p.allowed_models, std::vector<std::string>{"m1"});
  EXPECT_EQ(p.requests_per_min, 60);
}

// An issuer with exactly one key needs no kid. (Regression: reading "kid" through jsoncpp's
// non-const operator[] inserted a null member and refused every such token as bad JSON.)
TEST_F(JwtVerifierTest, AcceptsATokenWithoutKidWhenTheIssuerHasOneKey) {
  const std::string token = EncodeHs256Jwt(Json::Value(Json::objectValue), OurClaims(), kHsKey);
  ASSERT_EQ(token.find("kid"), std::string::npos);
  EXPECT_EQ(Check(token), AuthFailure::kNone);
}

TEST_F(JwtVerifierTest, AcceptsIdpRs256AndMapsTheRole) {
  Principal p;
  ASSERT_EQ(Verifier().Verify(Rs(IdpClaims()), kNow, &p), AuthFailure::kNone);
  EXPECT_EQ(p.subject, "idp:https://idp.example:alice");  // never a key's (or anonymous') bucket
  EXPECT_EQ(p.data_subject, "alice");                    // what erasure and pseudonyms go by
  EXPECT_EQ(p.role, "developer");
  EXPECT_EQ(p.key_id, "");
}

TEST_F(JwtVerifierTest, AcceptsIdpEs256WithRawSignature) { EXPECT_EQ(Check(Es(IdpClaims())), AuthFailure::kNone); }

TEST_F(JwtVerifierTest, TokenTooLarge) {
  Json::Value c = OurClaims();
  c["pad"] = std::string(kMaxTokenBytes, 'x');
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kTokenTooLarge);
}

TEST_F(JwtVerifierTest, Malformed) {
  EXPECT_EQ(Check("abc.def"), AuthFailure::kJwtMalformed);
  EXPECT_EQ(Check("a.b.c.d.e"), AuthFailure::kJwtMalformed);
}

TEST_F(JwtVerifierTest, BadBase64) { EXPECT_EQ(Check("eyJ*.eyJ.sig"), AuthFailure::kJwtBadBase64); }

TEST_F(JwtVerifierTest, BadJson) {
  EXPECT_EQ(Check(Base64UrlEncode("{\"alg\":") + "." + Base64UrlEncode("{}") + ".c2ln"), AuthFailure::kJwtBadJson);
}

TEST_F(JwtVerifierTest, AlgNoneIsRefusedWhateverItsCase) {
  for (const char* none : {"none", "None", "NONE"}) {
    Json::Value h;
    h["alg"] = none;
    EXPECT_EQ(Check(Segments(h, OurClaims()) + "."), AuthFailure::kJwtAlgNone) << none;
  }
}

TEST_F(JwtVerifierTest, AlgNotConfiguredAnywhere) {
  Json::Value h;
  h["alg"] = "HS512";
  EXPECT_EQ(Check(Segments(h, OurClaims()) + ".c2ln"), AuthFailure::kJwtAlgNotAllowed);
}

TEST_F(JwtVerifierTest, HsRsConfusionIsAlgNotAllowed) {
  // An HS256 token claiming the IdP as issuer, "signed" with the IdP's public key as HMAC key.
  Json::Value h;
  h["alg"] = "HS256";
  h["kid"] = "rsa1";
  const std::string in = Segments(h, IdpClaims());
  EXPECT_EQ(Check(in + "." + Base64UrlEncode(HmacSha256(BnParam(rsa_, OSSL_PKEY_PARAM_RSA_N), in))),
            AuthFailure::kJwtAlgNotAllowed);
}

TEST_F(JwtVerifierTest, UnknownIssuer) {
  Json::Value c = OurClaims();
  c["iss"] = "someone-else";
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kJwtUnknownIssuer);
}

TEST_F(JwtVerifierTest, NotYetValidBeyondLeeway) {
  Json::Value c = OurClaims();
  c["nbf"] = Json::Int64(kNow + 31);
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kJwtNotYetValid);
  c["nbf"] = Json::Int64(kNow + 29);  // inside the leeway
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kNone);
}

TEST_F(JwtVerifierTest, MissingExp) {
  Json::Value c = OurClaims();
  c.removeMember("exp");
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kJwtMissingExp);
}

TEST_F(JwtVerifierTest, Expired) {
  Json::Value c = OurClaims();
  c["exp"] = Json::Int64(kNow - 31);
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kJwtExpired);
  c["exp"] = Json::Int64(kNow - 29);
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kNone);
}

// A verified token is remembered, but only its time window is re-checked on a repeat: the
// same verifier must still refuse it once expired or before nbf (clock moved back), give the
// same principal, and refuse a token differing in one signature character.
TEST_F(JwtVerifierTest, RepeatedTokenIsRecheckedForTime) {
  const JwtVerifier v = Verifier();
  Json::Value c = OurClaims();
  c["nbf"] = Json::Int64(kNow - 5);
  const std::string token = Hs(c);
  Principal first, again;
  ASSERT_EQ(v.Verify(token, kNow, &first), AuthFailure::kNone);
  ASSERT_EQ(v.Verify(token, kNow + 1, &again), AuthFailure::kNone);
  EXPECT_EQ(again.subject, first.subject);
  EXPECT_EQ(again.allowed_models, first.allowed_models);
  EXPECT_EQ(again.requests_per_min, first.requests_per_min);
  Principal p;
  EXPECT_EQ(v.Verify(token, kNow + 600 + 30, &p), AuthFailure::kJwtExpired);
  EXPECT_EQ(v.Verify(token, kNow - 5 - 31, &p), AuthFailure::kJwtNotYetValid);
  std::string forged = token;
  char& c10 = forged[forged.size() - 10];  // inside the signature, not its padding bits
  c10 = c10 == 'A' ? 'B' : 'A';
  EXPECT_EQ(v.Verify(forged, kNow, &p), AuthFailure::kJwtBadSignature);
  EXPECT_EQ(v.Verify(token, kNow, &p), AuthFailure::kNone);
}

TEST_F(JwtVerifierTest, WrongAudience) {
  Json::Value c = OurClaims();
  c["aud"] = "another-api";
  EXPECT_EQ(Check(Hs(c)), AuthFailure::kJwtBadAudience);
}

TEST_F(JwtVerifierTest, UnknownKid) { EXPECT_EQ(Check(Rs(IdpClaims(), "rsa-rotated-away")), AuthFailure::kJwtUnknownKid); }

TEST_F(JwtVerifierTest, KidOfAnotherKeyType) {
  // RS256 header naming the EC key.
  EXPECT_EQ(Check(Rs(IdpClaims(), "ec1")), AuthFailure::kJwtKeyTypeMismatch);
}

TEST_F(JwtVerifierTest, BadSignature) {
  std::string t = Hs(OurClaims());
  t[t.size() - 2] = t[t.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Check(t), AuthFailure::kJwtBadSignature);
  // Tampered payload, original signature.
  Json::Value c = OurClaims();
  const std::string good = Hs(c);
  c["role"] = "admin";
  const std::string forged =
      good.substr(0, good.find('.')) + "." + Base64UrlEncode(WriteJson(c)) + good.substr(good.rfind('.'));
  EXPECT_EQ(Check(forged), AuthFailure::kJwtBadSignature);
}

TEST_F(JwtVerifierTest, NoMappedRole) {
  Json::Value c = IdpClaims();
  c["groups"] = Json::Value(Json::arrayValue);
  c["groups"].append("nobody");
  EXPECT_EQ(Check(Rs(c)), AuthFailure::kJwtNoRole);
}

TEST_F(JwtVerifierTest, IssuedAccessTokenVerifies) {
  Principal key;
  key.authenticated = true;
  key.method = "api_key";
  key.key_id = "0123456789abcdef";
  key.role = "developer";
  key.expires_at = kNow + 100;  // the token may not outlive its key
  auto t = IssueAccessToken(key, {"deepgate", "deepgate-api", kHsKey, 3600}, kNow);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->expires_in, 100);
  Principal p;
  EXPECT_EQ(Verifier().Verify(t->jwt, kNow, &p), AuthFailure::kNone);
  EXPECT_EQ(p.key_id, "0123456789abcdef");
  EXPECT_EQ(Verifier().Verify(t->jwt, kNow + 131, &p), AuthFailure::kJwtExpired);
}

TEST(JwksTest, RefusesPrivateAndSymmetricKeys) {
  EXPECT_FALSE(ParseJwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", "t").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}]})", "t").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", "t").ok());  // too short
}

TEST(AuthFailureTest, EveryReasonHasAName) {
  for (int i = 0; i <= static_cast<int>(kLastAuthFailure); ++i)
    EXPECT_STRNE(AuthFailureName(static_cast<AuthFailure>(i)), "unknown");
}

// Issue 16, finding 6: an IdP's claim value is never taken as our role without the map.
TEST_F(JwtVerifierTest, IdpClaimNamingOneOfOurRolesIsRefusedUnlessMapped) {
  Json::Value c = IdpClaims();
  c["groups"] = Json::Value(Json::arrayValue);
  c["groups"].append("admin");  // our role's name, but the map only lists llm-users
  EXPECT_EQ(Check(Rs(c)), AuthFailure::kJwtNoRole);
}

TEST_F(JwtVerifierTest, TypMustSayJwtWhenPresent) {
  auto with_typ = [](const Json::Value& typ) {
    Json::Value h;
    h["alg"] = "RS256";
    h["kid"] = "rsa1";
    h["typ"] = typ;
    const std::string in = Segments(h, IdpClaims());
    return in + "." + Base64UrlEncode(SignWith(rsa_, in));
  };
  for (const char* ok : {"JWT", "jwt", "at+jwt", "application/at+jwt"})
    EXPECT_EQ(Check(with_typ(ok)), AuthFailure::kNone) << ok;
  for (const char* bad : {"secevent+jwt", "JOSE", ""})
    EXPECT_EQ(Check(with_typ(bad)), AuthFailure::kJwtBadType) << bad;
  EXPECT_EQ(Check(with_typ(1)), AuthFailure::kJwtBadType);
  EXPECT_EQ(Check(Rs(IdpClaims())), AuthFailure::kNone);  // no typ at all: fine
}

TEST(JwksFile, IsReadLikeASecretFile) {
  const std::string dir = testing::TempDir("jwks");
  const std::string path = dir + "/jwks.json";
  EVP_PKEY* rsa = testing::MakeRsaKey();
  {
    std::ofstream(path) << testing::Jwks(rsa, "k1", nullptr, "");
  }
  ::chmod(path.c_str(), 0644);
  Result<std::vector<VerificationKey>> open_to_all = LoadJwksFile(path);
  ASSERT_FALSE(open_to_all.ok());
  EXPECT_NE(open_to_all.status().message().find("accessible to other users"), std::string::npos);
  ::chmod(path.c_str(), 0664);
  EXPECT_FALSE(LoadJwksFile(path).ok());
  ::chmod(path.c_str(), 0640);
  EXPECT_TRUE(LoadJwksFile(path).ok());
  ::symlink(path.c_str(), (dir + "/link.json").c_str());
  EXPECT_FALSE(LoadJwksFile(dir + "/link.json").ok());  // never through a symlink
  EVP_PKEY_free(rsa);
  std::filesystem::remove_all(dir);
}

TEST(IdpConfig, RoleMapIsRequired) {
  Json::Value v;
  v["issuer"] = "i";
  v["audience"] = "a";
  v["jwks_file"] = "f";
  Json::Value auth;
  auth["idp"] = v;
  AuthConfig c;
  EXPECT_FALSE(ParseAuthConfig(auth, &c).ok());
  auth["idp"]["role_map"]["g"] = "developer";
  EXPECT_TRUE(ParseAuthConfig(auth, &c).ok());
}

}  // namespace
}  // namespace deepgate::fcgi::auth
