// Issue 16, items 8 and 9: TOTP (RFC 6238 vectors, the ±1 window, one use per step), the
// sealed TOTP secret, the admin-change guard over a real key store, and client-certificate
// fingerprints and bindings.
#include <gtest/gtest.h>

#include "auth_test_util.h"
#include "fcgi/auth/client_cert.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/auth/sealed_secret.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/auth/totp.h"
#include "fcgi/auth/totp_guard.h"

namespace deepgate::fcgi::auth {
namespace {

const std::string kRfcSecret = "12345678901234567890";  // RFC 6238 Appendix B, SHA1 seed

TEST(TotpTest, Rfc6238Sha1Vectors) {
  const struct {
    int64_t time;
    const char* code;  // 8 digits, as the RFC's table gives them
  } vectors[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
                 {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) {
    EXPECT_EQ(HotpCode(kRfcSecret, static_cast<uint64_t>(TotpStep(v.time)), 8), v.code) << v.time;
    // Six digits are the same number mod 10^6: the last six of the eight.
    EXPECT_EQ(HotpCode(kRfcSecret, static_cast<uint64_t>(TotpStep(v.time))), std::string(v.code).substr(2)) << v.time;
  }
}

TEST(TotpTest, MatchesNowAndOneStepEitherSideOnly) {
  const int64_t now = 1111111111;  // step 37037037
  const int64_t step = TotpStep(now);
  for (int64_t d : {-1, 0, 1}) {
    const std::string code = HotpCode(kRfcSecret, static_cast<uint64_t>(step + d));
    ASSERT_TRUE(MatchTotp(kRfcSecret, code, now)) << d;
    EXPECT_EQ(*MatchTotp(kRfcSecret, code, now), step + d);
  }
  EXPECT_FALSE(MatchTotp(kRfcSecret, HotpCode(kRfcSecret, static_cast<uint64_t>(step - 2)), now));
  EXPECT_FALSE(MatchTotp(kRfcSecret, HotpCode(kRfcSecret, static_cast<uint64_t>(step + 2)), now));
}

TEST(TotpTest, CodesOfTheWrongShapeNeverMatch) {
  const std::string code = HotpCode(kRfcSecret, static_cast<uint64_t>(TotpStep(59)));
  for (const std::string& bad : {std::string(""), code.substr(1), code + "0", " " + code.substr(1), std::string("12345a"),
                                 std::string("-12345")})
    EXPECT_FALSE(MatchTotp(kRfcSecret, bad, 59)) << bad;
}

TEST(TotpTest, Base32AndUri) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "MY");  // RFC 4648 §10, unpadded
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32Encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(TotpUri("deepgate", "ops key (abc)", kRfcSecret),
            "otpauth://totp/deepgate:ops%20key%20%28abc%29?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=deepgate"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(SealedSecretTest, OpensOnlyUnderTheSameMasterAndPurposeUnaltered) {
  const std::string master(32, 'm');
  Result<std::string> sealed = SealSecret(master, kTotpSealPurpose, kRfcSecret);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find(kRfcSecret), std::string::npos);  // never the raw secret
  Result<std::string> again = SealSecret(master, kTotpSealPurpose, kRfcSecret);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*sealed, *again);  // a fresh nonce each time
  Result<std::string> opened = OpenSealedSecret(master, kTotpSealPurpose, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kRfcSecret);
  EXPECT_FALSE(OpenSealedSecret(std::string(32, 'x'), kTotpSealPurpose, *sealed).ok());
  EXPECT_FALSE(OpenSealedSecret(master, "another purpose", *sealed).ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bent = *sealed;
    bent[i] = static_cast<char>(bent[i] ^ 1);
    EXPECT_FALSE(OpenSealedSecret(master, kTotpSealPurpose, bent).ok()) << i;
  }
  EXPECT_FALSE(OpenSealedSecret(master, kTotpSealPurpose, "s1short").ok());
}

class TotpGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir("totp");
    auth_.secrets.master = std::string(32, 'm');
    auth_.secrets.pepper = std::string(32, 'p');
    auth_.clock = &clock_;
    auth_.store = std::move(SqliteKeyStore::Open(dir_ + "/keys.db")).value();
    KeySpec spec;
    spec.name = "ops";
    spec.role = "admin";
    key_id_ = CreateKey(*auth_.store, auth_.secrets, spec, clock_.NowUnix()).value().record.id;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  KeyRecord Key() { return std::move(auth_.store->FindById(key_id_)).value().value(); }
  Request AdminPost(const std::string& code) {
    Request r;
    r.method = "POST";
    r.path = "/admin/keys";
    if (!code.empty()) r.headers[kOtpHeader] = code;
    return r;
  }
  std::string CodeAt(int64_t t) { return HotpCode(secret_, static_cast<uint64_t>(TotpStep(t))); }

  std::string dir_;
  FakeClock clock_{1700000000};
  AuthContext auth_;
  std::string key_id_;
  std::string secret_;
};

TEST_F(TotpGuardTest, WithoutEnrolmentNothingIsAskedUnlessRequired) {
  KeyRecord k = Key();
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(""), &k), AuthFailure::kNone);
  auth_.config.totp_required_for_admin = true;
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(""), &k), AuthFailure::kOtpNotEnrolled);
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(""), nullptr), AuthFailure::kOtpNotEnrolled);  // an IdP token
  Request read = AdminPost("");
  read.method = "GET";
  EXPECT_EQ(CheckAdminOtp(auth_, read, &k), AuthFailure::kNone);  // reads need no code
}

TEST_F(TotpGuardTest, EnrolledKeyNeedsAFreshCodeOnAdminChangesEachUsableOnce) {
  secret_ = EnrollTotp(auth_, key_id_).value();
  KeyRecord k = Key();
  ASSERT_FALSE(k.totp_sealed.empty());
  EXPECT_EQ(k.totp_sealed.find(secret_), std::string::npos);
  const int64_t now = clock_.NowUnix();
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(""), &k), AuthFailure::kOtpMissing);
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(now - 90)), &k), AuthFailure::kOtpInvalid);
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(now)), &k), AuthFailure::kNone);
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(now)), &k), AuthFailure::kOtpReplayed);
  // The previous step's code is older than the one used: refused too (codes only move forward).
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(now - 30)), &k), AuthFailure::kOtpReplayed);
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(now + 30)), &k), AuthFailure::kNone);
  Request other = AdminPost("");
  other.path = "/v1/chat/completions";
  EXPECT_EQ(CheckAdminOtp(auth_, other, &k), AuthFailure::kNone);  // not an admin change
}

TEST_F(TotpGuardTest, ConsumeTotpStepIsOncePerStepAndSetTotpResetsIt) {
  ASSERT_TRUE(auth_.store->SetTotp(key_id_, "sealed").ok());
  EXPECT_TRUE(auth_.store->ConsumeTotpStep(key_id_, 10).value());
  EXPECT_FALSE(auth_.store->ConsumeTotpStep(key_id_, 10).value());
  EXPECT_FALSE(auth_.store->ConsumeTotpStep(key_id_, 9).value());
  EXPECT_TRUE(auth_.store->ConsumeTotpStep(key_id_, 11).value());
  EXPECT_EQ(Key().totp_last_step, 11);
  ASSERT_TRUE(auth_.store->SetTotp(key_id_, "").ok());  // disable
  EXPECT_TRUE(Key().totp_sealed.empty());
  EXPECT_EQ(Key().totp_last_step, 0);
  EXPECT_EQ(auth_.store->SetTotp("0000000000000000", "x").code(), StatusCode::kNotFound);
}

TEST_F(TotpGuardTest, ASecretSealedUnderAnotherMasterIsRefusedNotTrusted) {
  secret_ = EnrollTotp(auth_, key_id_).value();
  KeyRecord k = Key();
  auth_.secrets.master = std::string(32, 'n');
  EXPECT_EQ(CheckAdminOtp(auth_, AdminPost(CodeAt(clock_.NowUnix())), &k), AuthFailure::kOtpUnavailable);
}

// A certificate made once with `openssl req -x509 -newkey ec` and its
// `openssl x509 -noout -fingerprint -sha256`.
const char* kCertPem = R"(-----BEGIN CERTIFICATE-----
MIIBgDCCASegAwIBAgIUDFosDrm5ePx2aSYIfhTSsvrsHBcwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLdGVzdC1jbGllbnQwHhcNMjYxMjAyMjExNjE4WhcNMzYxMTI5
MjExNjE4WjAWMRQwEgYDVQQDDAt0ZXN0LWNsaWVudDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABHgmGyVWPD8grChfsxMMQqPmPxpL3kuMhIkSA6BoMXjpGol4YOpu
Br01AsbVTB2nP8ajRUZH69rWhNoLBrjegJijUzBRMB0GA1UdDgQWBBQDa+cU7ETo
DjpGcOdcoNU0etsIdjAfBgNVHSMEGDAWgBQDa+cU7EToDjpGcOdcoNU0etsIdjAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIBzHEWxhNWV4SZLhJK4+
O9GePCHwHCccA97D/DY3LEgaAiAFCghp72w1Ns+J4Y7I0KG635kdCWwZET5QNKyn
qrIsvw==
-----END CERTIFICATE-----
)";
const char* kCertOpenssl = "sha256 Fingerprint=6B:C5:B4:19:06:28:40:3C:B1:D6:17:9F:B8:4B:76:02:8F:CA:F2:2D:AD:88:FF:27:B2:28:D2:A1:17:1F:29:09";
const char* kCertHex = "6bc5b4190628403cb1d6179fb84b76028fcaf22dad88ff27b228d2a1171f2909";

TEST(ClientCertTest, FingerprintForms) {
  EXPECT_EQ(ParseCertFingerprint(kCertOpenssl), kCertHex);
  EXPECT_EQ(ParseCertFingerprint(std::string("SHA256:") + kCertHex), kCertHex);
  EXPECT_EQ(ParseCertFingerprint("SHA256:6B:C5:B4:19:06:28:40:3C:B1:D6:17:9F:B8:4B:76:02:8F:CA:F2:2D:AD:88:FF:27:B2:28:D2:A1:17:1F:29:09"),
            kCertHex);
  EXPECT_FALSE(ParseCertFingerprint(""));
  EXPECT_FALSE(ParseCertFingerprint("SHA256:6B:C5"));                      // too short
  EXPECT_FALSE(ParseCertFingerprint(std::string("SHA1:") + kCertHex));     // another prefix
  EXPECT_FALSE(ParseCertFingerprint(std::string(kCertHex) + "00"));        // too long
  EXPECT_FALSE(ParseCertFingerprint(std::string(kCertHex).replace(0, 1, "g")));
}

TEST(ClientCertTest, FingerprintOfThePemAndTheBinding) {
  EXPECT_EQ(CertFingerprintFromPem(kCertPem), kCertHex);
  EXPECT_FALSE(CertFingerprintFromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"));
  EXPECT_FALSE(CertFingerprintFromPem(""));
  EXPECT_EQ(CheckCertBinding("", ""), AuthFailure::kNone);          // not bound: any or none
  EXPECT_EQ(CheckCertBinding("", kCertPem), AuthFailure::kNone);
  EXPECT_EQ(CheckCertBinding(kCertHex, kCertPem), AuthFailure::kNone);
  EXPECT_EQ(CheckCertBinding(kCertHex, ""), AuthFailure::kKeyCertMissing);
  EXPECT_EQ(CheckCertBinding(std::string(64, 'a'), kCertPem), AuthFailure::kKeyCertMismatch);
  EXPECT_EQ(CheckCertBinding(kCertHex, "not a certificate"), AuthFailure::kKeyCertMismatch);
}

}  // namespace
}  // namespace deepgate::fcgi::auth
