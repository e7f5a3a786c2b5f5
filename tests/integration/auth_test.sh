#!/usr/bin/env bash
# Credentials through nginx + TLS: API keys, roles, model allow-lists, the admin API, the
# OAuth2 token endpoint and its JWTs, refusals (always a generic 401), secrets kept out of
# every log, and a worker that will not start with a world-readable secret.
source "$(dirname "$0")/lib.sh"
# A key inside the expiry-warning window before the worker starts: it warns at once.
dg_it_before_worker() { EXPIRING_KEY=$(dg_stack_create_key "$PREFIX" expiring-soon developer --expires 3d); }
dg_it_start
CLI=("$DG_BIN/deepgate")
CONF=$PREFIX/conf/deepgate.json
chat='{"model":"deepgate-demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2}'

# --- API keys
expect "no key 401" 401 "$(noauth code /v1/models)"
expect "401 error type" authentication_error "$(noauth body /v1/models | json_field 'd["error"]["type"]')"
expect "garbage key 401" 401 "$(with_key nope code /v1/models)"
expect "unknown dg_ key 401" 401 "$(with_key "dg_0123456789abcdef_$(printf 'A%.0s' {1..43})" code /v1/models)"
# One character changed mid-secret (the last one also carries base64url padding bits).
wrong_secret=$(python3 -c 'import sys; k = sys.argv[1]; i = len(k) - 10; print(k[:i] + ("B" if k[i] == "A" else "A") + k[i + 1:])' "$DG_API_KEY")
expect "wrong secret 401" 401 "$(with_key "$wrong_secret" code /v1/models)"
expect_match "wrong secret logged as key_mismatch" 'reason="?key_mismatch' "$(grep auth_failure "$PREFIX/logs/worker.log")"
expect "Basic scheme 401" 401 "$(noauth code /v1/models -u user:pass)"
expect "valid key 200" 200 "$(code /v1/models)"
expect "probes need no key" 200 "$(noauth code /health)"
expect "generic 401 message is the same for every reason" \
  "$(noauth body /v1/models | json_field 'd["error"]["message"]')" "$(with_key nope body /v1/models | json_field 'd["error"]["message"]')"

revoked=$(dg_stack_create_key "$PREFIX" to-revoke developer)
expect "key works before revoke" 200 "$(with_key "$revoked" code /v1/models)"
cli_err=$("${CLI[@]}" keys revoke --config "$CONF" "$(echo "$revoked" | cut -c4-19)" 2>&1 >/dev/null)
expect_match "CLI revoke is audited (stderr: no journald here)" "audit event=key_revoked .*key_id=$(echo "$revoked" | cut -c4-19)" "$cli_err"
expect "revoked key 401" 401 "$(with_key "$revoked" code /v1/models)"

rotated=$(dg_stack_create_key "$PREFIX" to-rotate developer)
fresh=$("${CLI[@]}" keys rotate --config "$CONF" "$(echo "$rotated" | cut -c4-19)" --overlap 0 2>/dev/null)
expect "rotated-away (expired) key 401" 401 "$(with_key "$rotated" code /v1/models)"
expect "its replacement 200" 200 "$(with_key "$fresh" code /v1/models)"
expect_match "keys list shows the rotation" 'to-rotate .*rotated' "$("${CLI[@]}" keys list --config "$CONF")"

# --- roles and models
expect "developer on /admin/keys 403" 403 "$(code /admin/keys)"
expect "403 code" permission_denied "$(body /admin/keys | json_field 'd["error"]["code"]')"
monitor=$(dg_stack_create_key "$PREFIX" mon monitor)
expect "monitor on /v1/models 403" 403 "$(with_key "$monitor" code /v1/models)"
narrow=$(dg_stack_create_key "$PREFIX" narrow developer --models other-model)
expect "disallowed model 403" 403 "$(with_key "$narrow" code /v1/chat/completions -X POST -d "$chat")"
expect "disallowed model code" model_not_allowed \
  "$(with_key "$narrow" body /v1/chat/completions -X POST -d "$chat" | json_field 'd["error"]["code"]')"
expect "allowed model 200" 200 "$(code /v1/chat/completions -X POST -d "$chat")"

# --- admin API
expect "admin lists keys" 200 "$(with_key "$DG_ADMIN_KEY" code /admin/keys)"
listing=$(with_key "$DG_ADMIN_KEY" body /admin/keys)
expect "list has no secrets or hashes" 0 "$(echo "$listing" | grep -c -e '"key"' -e '"hash"' -e 'dg_')"
created=$(with_key "$DG_ADMIN_KEY" body /admin/keys -X POST -d '{"name":"via-api","role":"developer","expires_in":"30d"}')
api_key=$(echo "$created" | json_field 'd["key"]')
api_id=$(echo "$created" | json_field 'd["id"]')
expect "admin-created key works" 200 "$(with_key "$api_key" code /v1/models)"
expect "admin revoke 200" 200 "$(with_key "$DG_ADMIN_KEY" code "/admin/keys/$api_id/revoke" -X POST)"
expect "admin-revoked key 401" 401 "$(with_key "$api_key" code /v1/models)"
expect_match "admin API create audited" "audit event=key_created .*key_id=$api_id" "$(cat "$PREFIX/logs/worker.log")"
expect_match "admin API revoke audited" "audit event=key_revoked .*key_id=$api_id" "$(cat "$PREFIX/logs/worker.log")"
expect_match "expiring key warned at start" "audit event=key_expiring .*key_id=$(echo "$EXPIRING_KEY" | cut -c4-19)" \
  "$(cat "$PREFIX/logs/worker.log")"
expect "unknown role 400" 400 "$(with_key "$DG_ADMIN_KEY" code /admin/keys -X POST -d '{"name":"x","role":"root"}')"

# --- OAuth2 client credentials → JWT
dev_id=$(echo "$DG_API_KEY" | cut -c4-19)
tok=$(noauth body /v1/oauth/token -X POST --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$dev_id" --data-urlencode "client_secret=$DG_API_KEY")
jwt=$(echo "$tok" | json_field 'd["access_token"]')
expect "token type" Bearer "$(echo "$tok" | json_field 'd["token_type"]')"
expect "JWT works" 200 "$(with_key "$jwt" code /v1/models)"
expect "JWT keeps the role (403 on admin)" 403 "$(with_key "$jwt" code /admin/keys)"
expect "token endpoint takes JSON" 200 "$(noauth code /v1/oauth/token -X POST -H 'Content-Type: application/json' \
  -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$dev_id\",\"client_secret\":\"$DG_API_KEY\"}")"
expect "token endpoint wrong secret 401" 401 "$(noauth code /v1/oauth/token -X POST \
  -d "grant_type=client_credentials&client_id=$dev_id&client_secret=${DG_API_KEY%?}x")"
expect "token endpoint mismatched client_id 401" 401 "$(noauth code /v1/oauth/token -X POST \
  -d "grant_type=client_credentials&client_id=0123456789abcdef&client_secret=$DG_API_KEY")"
cli_jwt=$("${CLI[@]}" token issue --config "$CONF" --key - <<<"$DG_API_KEY" 2>/dev/null)
expect "CLI-issued JWT works" 200 "$(with_key "$cli_jwt" code /v1/models)"
# Tampered: role developer → admin in the payload, signature kept.
tampered=$(python3 - "$jwt" <<'PY'
import base64, json, sys
h, p, s = sys.argv[1].split(".")
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
claims["role"] = "admin"
print(h + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + s)
PY
)
expect "tampered JWT 401" 401 "$(with_key "$tampered" code /admin/keys)"
none=$(python3 - "$jwt" <<'PY'
import base64, sys
h, p, s = sys.argv[1].split(".")
print(base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode() + "." + p + ".")
PY
)
expect "alg:none JWT 401" 401 "$(with_key "$none" code /v1/models)"
expect_match "reasons are logged by name" 'reason="?jwt_bad_signature' "$(grep auth_failure "$PREFIX/logs/worker.log")"
expect_match "alg none logged" 'reason="?jwt_alg_none' "$(grep auth_failure "$PREFIX/logs/worker.log")"

# --- secrets and keys never reach a log
sleep 0.2
leaks=0
for secret in "$DG_API_KEY" "$DG_ADMIN_KEY" "$jwt" "$api_key" "$(cat "$PREFIX/secrets/pepper")" "${DG_API_KEY#dg_????????????????_}"; do
  grep -rqF -- "$secret" "$PREFIX/logs" && leaks=$((leaks + 1))
done
expect "no key, token or secret in worker/nginx logs" 0 "$leaks"

# --- the worker refuses a world-readable secret, naming the file but not the secret
chmod 0644 "$PREFIX/secrets/pepper"
out=$(timeout 10 "$DG_BIN/deepgate-fcgi" --config "$CONF" 2>&1); rc=$?
chmod 0600 "$PREFIX/secrets/pepper"
expect "world-readable secret: exit 2" 2 "$rc"
expect_match "message names the file" 'secrets/pepper is accessible to other users' "$out"
expect "message does not show the secret" 0 "$(echo "$out" | grep -cF "$(cat "$PREFIX/secrets/pepper")")"

dg_it_finish
