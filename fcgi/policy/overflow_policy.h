// Overflow decision: may this request be served off-site (nginx's `error_page 503 =
// @overflow`, a cloud or second-site OpenAI-compatible upstream) when this worker answers
// 503? The worker decides per request and tells nginx with the response header
// `X-Deepgate-Overflow: allow`; nginx's @overflow forwards only requests that carry it
// (nginx/snippets/deepgate-overflow-location.conf) and hides it from clients. A request
// refused before this point — no or bad credentials, wrong role, blocked country, rate
// limited, or a 503 while shutting down — never carries it, so it never leaves the site.
// Rules, cheap first: overflow enabled → authenticated → role listed in overflow.roles →
// the credential's data policy (or the deployment default) permits it → the client's
// country is in overflow.allow_countries (when that list is set).
// Thread-safety: a pure function.
#pragma once

#include "fcgi/config.h"
#include "fcgi/base/stages.h"

namespace deepgate::fcgi {

inline constexpr const char* kOverflowHeader = "X-Deepgate-Overflow";
inline constexpr const char* kOverflowAllowed = "allow";

// Why a request may or may not overflow (one value per rule, for tests and logs).
enum class OverflowVerdict {
  kAllowed,
  kDisabled,            // overflow.enabled is false
  kUnauthenticated,     // anonymous (auth.required false) never leaves
  kRoleNotAllowed,      // the role is not in overflow.roles
  kLocalOnly,           // the key (or the deployment default) keeps its data on site
  kCountryNotAllowed,   // the client's country is not in overflow.allow_countries (or unknown)
};

const char* OverflowVerdictName(OverflowVerdict verdict);

OverflowVerdict DecideOverflow(const OverflowConfig& config, const Principal& principal, const ClientOrigin& origin);

}  // namespace deepgate::fcgi
