// POST /v1/oauth/token: the OAuth2 client-credentials grant (RFC 6749 §4.4). The client sends
// grant_type=client_credentials, client_id = API key id and client_secret = the whole API key,
// form-encoded or as JSON; the answer is an HS256 access token (auth/access_token.h):
//   {"access_token": "...", "token_type": "Bearer", "expires_in": 3600}
// The route is public in the pipeline sense (it authenticates the body, not a header); a
// refused exchange is a generic 401; its AuthFailure reason goes to the audit entry (ctx.Refuse).
// Thread-safety: stateless handler over AuthContext.
#pragma once

#include <map>
#include <string>

#include "fcgi/auth/auth_context.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

void AddOAuthTokenRoute(Router& router, const auth::AuthContext& auth);

// application/x-www-form-urlencoded → map; false on bad %-escapes or a repeated name.
bool ParseFormBody(const std::string& body, std::map<std::string, std::string>* out);

}  // namespace deepgate::fcgi
