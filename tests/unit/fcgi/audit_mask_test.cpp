// Credential masking: every shape of secret we know is gone before a log line is written.
#include <gtest/gtest.h>

#include "fcgi/audit/credential_mask.h"

namespace deepgate::fcgi::audit {
namespace {

TEST(AuditMask, ApiKeys) {
  EXPECT_EQ(MaskSecrets("key dg_AbCdEf0123456789xyz used"), "key dg_*** used");
  EXPECT_EQ(MaskSecrets("/v1/models/dg_live_0123456789abcdef"), "/v1/models/dg_***");
}

TEST(AuditMask, ShortDgWordsStay) {
  EXPECT_EQ(MaskSecrets("dg_x and abc_dg_0123456789ab"), "dg_x and abc_dg_0123456789ab");
}

TEST(AuditMask, Jwts) {
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
  EXPECT_EQ(MaskSecrets("token " + jwt + " end"), "token eyJ*** end");
  EXPECT_EQ(MaskSecrets("eyJonly-no-dot"), "eyJonly-no-dot");
}

TEST(AuditMask, BearerAndBasic) {
  EXPECT_EQ(MaskSecrets("Bearer abc.def-123"), "Bearer ***");
  EXPECT_EQ(MaskSecrets("authorization: basic dXNlcjpwYXNz"), "authorization: basic ***");
}

TEST(AuditMask, CredentialQueryParameters) {
  EXPECT_EQ(MaskQuery("model=x&api_key=s3cret&n=1"), "model=x&api_key=***&n=1");
  EXPECT_EQ(MaskQuery("token=abc"), "token=***");
  EXPECT_EQ(MaskQuery("ACCESS_TOKEN=abc&password=p"), "ACCESS_TOKEN=***&password=***");
  EXPECT_EQ(MaskQuery("tokens=5&monkey=1"), "tokens=5&monkey=1");
}

TEST(AuditMask, CredentialHeadersMaskedWhole) {
  for (const char* h : {"Authorization", "cookie", "X-Api-Key", "HTTP_X_API_KEY", "Proxy-Authorization"}) {
    EXPECT_TRUE(IsCredentialHeader(h)) << h;
    EXPECT_EQ(MaskHeaderValue(h, "anything at all"), "***") << h;
  }
  EXPECT_FALSE(IsCredentialHeader("content-type"));
  EXPECT_EQ(MaskHeaderValue("user-agent", "curl dg_0123456789abcdef"), "curl dg_***");
}

TEST(AuditMask, PlainTextUntouched) {
  const std::string s = "POST /v1/chat/completions 200 subject=anonymous";
  EXPECT_EQ(MaskSecrets(s), s);
}

}  // namespace
}  // namespace deepgate::fcgi::audit
