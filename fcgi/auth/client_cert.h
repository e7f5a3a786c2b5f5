// Client certificates (mTLS) as the worker sees them. nginx verifies the certificate against
// the organisation's CA and CRL (nginx/snippets/deepgate-mtls.conf) and, only when
// $ssl_client_verify is SUCCESS, passes it as the FastCGI param DEEPGATE_CLIENT_CERT (PEM).
// A FastCGI param is not a header: a client's headers reach the worker as HTTP_*, so nothing
// the client sends can stand in for it. A key bound to a certificate (KeyRecord::cert_sha256)
// is refused over any other certificate or none.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fcgi/auth/auth_failure.h"

namespace deepgate::fcgi::auth {

// "SHA256:AB:CD:..." / "sha256 Fingerprint=AB:CD..." / plain hex → 64 lower-case hex digits, or
// nullopt when it is not a SHA-256 fingerprint. `openssl x509 -noout -fingerprint -sha256`
// prints the accepted form.
std::optional<std::string> ParseCertFingerprint(std::string_view text);

// Lower-case hex SHA-256 of the DER of the first certificate in `pem`; nullopt when `pem`
// holds no parsable certificate.
std::optional<std::string> CertFingerprintFromPem(std::string_view pem);

// kNone when `bound_sha256` is empty (the key is not bound) or equals the fingerprint of
// `presented_pem`, compared in constant time; else kKeyCertMissing / kKeyCertMismatch.
AuthFailure CheckCertBinding(const std::string& bound_sha256, std::string_view presented_pem);

}  // namespace deepgate::fcgi::auth
