// Fuzz target: any bytes as a bearer token through the JWT parser and verifier (our HS256
// issuer and an IdP with an ES256 key), the API-key parser, base64url and the JWKS parser.
// Must never crash, hang or accept: no input can carry a valid signature.
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fcgi/auth/api_key.h"
#include "fcgi/auth/crypto.h"
#include "fcgi/auth/jwks.h"
#include "fcgi/auth/jwt_verifier.h"

using namespace deepgate::fcgi::auth;  // NOLINT

namespace {

const JwtVerifier& Verifier() {
  static const JwtVerifier* v = [] {
    JwtVerifierConfig c;
    c.roles = {"admin", "developer"};
    JwtIssuerConfig ours;
    ours.issuer = "deepgate";
    ours.audiences = {"deepgate-api"};
    ours.algorithms = {JwsAlg::kHS256};
    VerificationKey hs;
    hs.kid = "deepgate-hs256-1";
    hs.hmac_secret = std::string(32, 'k');
    ours.keys = {hs};
    ours.ours = true;
    c.issuers.push_back(ours);
    JwtIssuerConfig idp;
    idp.issuer = "https://idp.example";
    idp.audiences = {"deepgate"};
    idp.algorithms = {JwsAlg::kES256, JwsAlg::kRS256};
    VerificationKey ec;
    ec.kid = "ec1";
    ec.type = KeyType::kEcP256;
    ec.pkey = WrapPkey(EVP_EC_gen("P-256"));
    idp.keys = {ec};
    c.issuers.push_back(idp);
    return new JwtVerifier(c);
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string token(reinterpret_cast<const char*>(data), size);
  deepgate::fcgi::Principal p;
  if (Verifier().Verify(token, 1700000000, &p) == AuthFailure::kNone) std::abort();  // forged
  (void)ParseApiKey(token);
  if (auto bytes = Base64UrlDecode(token)) {
    if (Base64UrlEncode(*bytes) != token) std::abort();  // strict decoding is canonical
  }
  (void)ParseJwks(token, "fuzz");
  return 0;
}
