// POST /v1/oauth/token (fcgi/api/oauth_token.h) in-process, through the pipeline, over a real
// SQLite key store and the real verifier: form parsing (percent-decoding, malformed escapes,
// repeated names), the grant type, every bad credential answered with the same generic 401
// (its reason only in the audit entry), and a good exchange whose token the verifier accepts.
#include <gtest/gtest.h>

#include "auth_routes_harness.h"
#include "fcgi/api/oauth_token.h"
#include "fcgi/auth/key_issuer.h"

namespace deepgate::fcgi {
namespace {

using testing::Answer;
using testing::AuthRoutesHarness;

std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(ParseFormBody(body, &out)) << body;
  return out;
}

TEST(FormBody, DecodesPercentEscapesAndPlus) {
  using M = std::map<std::string, std::string>;
  EXPECT_EQ(Form("grant_type=client_credentials&client_id=abc"),
            (M{{"grant_type", "client_credentials"}, {"client_id", "abc"}}));
  EXPECT_EQ(Form("a=x%26y%3Dz&b=one+two%2Bthree"), (M{{"a", "x&y=z"}, {"b", "one two+three"}}));
  EXPECT_EQ(Form("a=%41%6a%6A%7e"), (M{{"a", "Ajj~"}}));
  EXPECT_EQ(Form("na%6De=v"), (M{{"name", "v"}}));          // names are decoded too
  EXPECT_EQ(Form("&&a=1&&b&"), (M{{"a", "1"}, {"b", ""}}));  // empty parts skipped, no '=': empty value
  EXPECT_EQ(Form("a=%00b"), (M{{"a", std::string("\0b", 2)}}));
  EXPECT_EQ(Form(""), M{});
}

TEST(FormBody, RefusesMalformedEscapesAndRepeatedNames) {
  for (const char* body : {"a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "a=1%", "%=1", "a=%%41", "a=1&a=2", "a=1&a=1",
                           "a=1&%61=2"}) {
    std::map<std::string, std::string> out;
    EXPECT_FALSE(ParseFormBody(body, &out)) << body;
  }
}

class OAuthTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.open_status().ok()) << h_.open_status().message();
    AddOAuthTokenRoute(h_.router(), h_.auth());
    h_.StartPipeline();
    key_ = Issue("svc");
    other_ = Issue("other");
  }

  auth::IssuedKey Issue(const std::string& name) {
    auth::KeySpec spec;
    spec.name = name;
    spec.role = "developer";
    spec.models = {"tiny"};
    spec.lifetime_s = 86400;
    Result<auth::IssuedKey> k = auth::CreateKey(*h_.auth().store, h_.auth().secrets, spec, AuthRoutesHarness::kNow);
    EXPECT_TRUE(k.ok()) << k.status().message();
    return k.ok() ? *k : auth::IssuedKey{};
  }

  // A form body, every value percent-encoded byte by byte (as a strict client may send it).
  static std::string Encoded(const std::string& v) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : v) out += std::string("%") + kHex[c >> 4] + kHex[c & 15];
    return out;
  }
  Answer Exchange(const std::string& id, const std::string& secret, const std::string& grant = "client_credentials") {
    return h_.Send("POST", "/v1/oauth/token",
                   "grant_type=" + grant + "&client_id=" + Encoded(id) + "&client_secret=" + Encoded(secret),
                   "application/x-www-form-urlencoded", "");
  }
  // The generic 401, and the one audit entry recording `reason`.
  void ExpectRefused(const Answer& a, const std::string& reason) {
    EXPECT_EQ(a.status, 401) << a.body;
    EXPECT_EQ(a.json["error"]["message"].asString(), auth::kGenericAuthMessage);
    EXPECT_FALSE(a.json.isMember("access_token"));
    ASSERT_FALSE(h_.pipeline_audit().records.empty());
    const AuditRecord& r = h_.pipeline_audit().records.back();
    EXPECT_EQ(r.event, AuditEvent::kAuthFailure);
    EXPECT_EQ(r.reason, reason);
    EXPECT_EQ(r.message.find(key_.plaintext), std::string::npos);
  }

  AuthRoutesHarness h_;
  auth::IssuedKey key_, other_;
};

TEST_F(OAuthTokenTest, AGoodExchangeYieldsATokenTheVerifierAccepts) {
  Answer a = Exchange(key_.record.id, key_.plaintext);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.head.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_EQ(a.json["token_type"].asString(), "Bearer");
  EXPECT_GT(a.json["expires_in"].asInt64(), 0);
  EXPECT_LE(a.json["expires_in"].asInt64(), h_.auth().config.jwt_ttl_s);
  const std::string jwt = a.json["access_token"].asString();
  auth::Verdict v = h_.auth().verifier->Verify(jwt, h_.clock().NowUnix());
  ASSERT_TRUE(v.ok()) << auth::AuthFailureName(v.failure);
  EXPECT_EQ(v.principal.key_id, key_.record.id);
  EXPECT_EQ(v.principal.role, "developer");
  EXPECT_EQ(v.principal.method, "jwt");
  EXPECT_EQ(v.principal.allowed_models, std::vector<std::string>{"tiny"});
  // The token dies with its lifetime; the key is never echoed.
  EXPECT_EQ(a.body.find(key_.plaintext), std::string::npos);
  EXPECT_FALSE(h_.auth().verifier->Verify(jwt, h_.clock().NowUnix() + a.json["expires_in"].asInt64() + 120).ok());
  ASSERT_EQ(h_.pipeline_audit().records.size(), 1u);
  EXPECT_EQ(h_.pipeline_audit().records[0].event, AuditEvent::kRequest);
  EXPECT_EQ(h_.pipeline_audit().records[0].status, 200);
}

TEST_F(OAuthTokenTest, AJsonBodyIsAcceptedToo) {
  Json::Value body(Json::objectValue);
  body["grant_type"] = "client_credentials";
  body["client_id"] = key_.record.id;
  body["client_secret"] = key_.plaintext;
  Answer a = h_.Send("POST", "/v1/oauth/token", WriteJson(body), "application/json", "");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_TRUE(h_.auth().verifier->Verify(a.json["access_token"].asString(), h_.clock().NowUnix()).ok());
}

TEST_F(OAuthTokenTest, AnotherGrantTypeIs400UnsupportedGrantType) {
  for (const char* grant : {"password", "authorization_code", "", "client_credentials%20"}) {
    Answer a = Exchange(key_.record.id, key_.plaintext, grant);
    EXPECT_EQ(a.status, 400) << grant;
    EXPECT_EQ(a.json["error"]["code"].asString(), "unsupported_grant_type") << grant;
    EXPECT_FALSE(a.json.isMember("access_token"));
  }
}

TEST_F(OAuthTokenTest, AMalformedBodyIs400) {
  for (const char* body : {"grant_type=client_credentials&client_secret=%zz", "grant_type=a&grant_type=b"}) {
    Answer a = h_.Send("POST", "/v1/oauth/token", body, "application/x-www-form-urlencoded", "");
    EXPECT_EQ(a.status, 400) << body;
    EXPECT_FALSE(a.json.isMember("access_token"));
  }
  Answer a = h_.Send("POST", "/v1/oauth/token", "{not json", "application/json", "");
  EXPECT_EQ(a.status, 400);
}

TEST_F(OAuthTokenTest, EveryBadCredentialIsTheSameGeneric401) {
  ExpectRefused(Exchange(key_.record.id, ""), "missing_credentials");
  ExpectRefused(Exchange(key_.record.id, "not-a-key"), "key_malformed");
  // A valid-looking key of ours with the wrong secret. The last of 43 base64url characters
  // carries 2 bits and 4 zero bits, so the swap stays canonical: 'A' and 'Q' both end in 0000.
  std::string wrong = key_.plaintext;
  wrong.back() = wrong.back() == 'A' ? 'Q' : 'A';
  ExpectRefused(Exchange(key_.record.id, wrong), "key_mismatch");
  // The secret of one key, the id of another: the client_id must name the secret's key.
  ExpectRefused(Exchange(other_.record.id, key_.plaintext), "key_mismatch");
  // A JWT is not a client secret, even one we issued.
  Answer ok = Exchange(key_.record.id, key_.plaintext);
  ASSERT_EQ(ok.status, 200);
  ExpectRefused(Exchange(key_.record.id, ok.json["access_token"].asString()), "key_malformed");
  // Revoked and expired keys.
  ASSERT_TRUE(h_.auth().store->Revoke(other_.record.id, AuthRoutesHarness::kNow).ok());
  ExpectRefused(Exchange(other_.record.id, other_.plaintext), "key_revoked");
  h_.clock().Advance(86400);
  ExpectRefused(Exchange(key_.record.id, key_.plaintext), "key_expired");
}

}  // namespace
}  // namespace deepgate::fcgi
