// CacheKey: whether a generation request is deterministic, and the key its answer is cached
// under.
//
// Deterministic (cacheable): `temperature` is 0 (or `top_p` is 0, which the parser turns into
// greedy), or a `seed` is given — our sampler draws from its own seeded generator, so a seed
// fixes the tokens (choice i uses seed + i). Anything else is a bypass: its answer is meant to
// vary.
//
// Key = SHA-256 (as HMAC with a fixed label) over
//   scope  — the principal's subject (key id for API keys and our JWTs) under scope "key",
//            "" under scope "shared"
//   route  — "chat.completions" or "completions" (the two answer in different shapes)
//   body   — the request JSON re-serialised canonically (members sorted, compact), minus the
//            members that cannot change the answer: `user` (an end-user tag for abuse
//            tracking) and, for a non-streamed request, `stream_options` (only read when
//            streaming). `stream` stays: a streamed and a whole answer are stored apart.
// The body names the model, so the model id is in the key. Unknown members stay in: a
// vendor field we do not know might matter to someone, and a needless miss is cheap where a
// wrong hit is not. Numbers keep their JSON spelling (0 and 0.0 are different keys: a miss,
// never a wrong hit).
// Thread-safety: pure functions.
#pragma once

#include <json/value.h>

#include <optional>
#include <string>

namespace deepgate::fcgi::cache {

enum class CacheScope { kKey, kShared };

bool IsDeterministic(const Json::Value& body);

// nullopt when the request is not deterministic (bypass). `body` must be a JSON object.
std::optional<std::string> CacheKeyFor(const std::string& route_name, const Json::Value& body,
                                       const std::string& subject, CacheScope scope);

}  // namespace deepgate::fcgi::cache
