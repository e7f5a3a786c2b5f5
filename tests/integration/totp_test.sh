#!/usr/bin/env bash
# TOTP second factor for admin changes (issue 16, item 8), end to end through nginx: an admin
# key enrolled with `deepgate admin totp enroll` (otpauth:// URI and QR code on the terminal,
# the secret stored sealed) must send a live RFC 6238 code in X-Deepgate-OTP on every
# mutating /admin/* call — missing, wrong and replayed codes get 401 otp_required, audited
# with their reason and counted by the failed-credential limiter; reads need no code; a key
# without TOTP is unaffected (unless auth.totp_required_for_admin: a second stack checks that
# every admin change then needs an enrolled key and its code); `disable` lifts it.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
dg_it_start '"rate_limits": {"requests_per_minute": 0, "auth_failures_per_minute": 8}'
CONF=$PREFIX/conf/deepgate.json
ADMIN_ID=$(echo "$DG_ADMIN_KEY" | cut -c4-19)
LOG=$PREFIX/logs/worker.log

# The code for the 30 s step `now + $1 steps` from the otpauth:// URI's secret.
totp() {
  python3 - "$URI" "${1:-0}" <<'PY'
import base64, hashlib, hmac, struct, sys, time, urllib.parse
q = urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)
secret = q["secret"][0]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
step = int(time.time()) // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}
create() {  # create a key through the admin API with the admin key; extra curl args after
  with_key "$DG_ADMIN_KEY" code /admin/keys -X POST -H 'Content-Type: application/json' \
    -d '{"name":"made-by-admin","role":"developer"}' "$@"
}
# Waits for the start of a fresh 30 s step when fewer than 5 s of this one are left, so a
# code computed here is still "now" (or now-1, which is accepted) when the worker checks it.
fresh_step() { local s=$(( $(date +%s) % 30 )); [ "$s" -lt 25 ] || sleep $((31 - s)); }

expect "before enrolment an admin change needs no code" 201 "$(create)"

out=$("$DG_BIN/deepgate" admin totp enroll --key "$ADMIN_ID" --config "$CONF" 2>"$PREFIX/enroll.err")
expect "enroll exits 0" 0 "$?"
URI=$(echo "$out" | grep '^otpauth://')
expect_match "enroll prints the otpauth:// URI" "^otpauth://totp/deepgate:it-admin%20%28$ADMIN_ID%29\?secret=[A-Z2-7]{32}&issuer=deepgate&algorithm=SHA1&digits=6&period=30$" "$URI"
expect_match "and a QR code in the terminal" "█" "$(echo "$out" | head -n 3)"
expect_match "enroll is audited" "audit event=key_totp_enrolled .*key_id=$ADMIN_ID" "$(cat "$PREFIX/enroll.err")"
SECRET_HEX=$(python3 -c 'import base64,sys,urllib.parse; s=urllib.parse.parse_qs(urllib.parse.urlparse(sys.argv[1]).query)["secret"][0]; print(base64.b32decode(s).hex())' "$URI")
expect "the key store holds the secret sealed only (never raw)" 0 \
  "$(python3 -c 'import os, sys; p = sys.argv[1]; d = b"".join(open(f, "rb").read() for f in (p, p + "-wal") if os.path.exists(f)); print(d.count(bytes.fromhex(sys.argv[2])))' "$PREFIX/keys/keys.db" "$SECRET_HEX")"
expect "GET /admin/keys needs no code" 200 "$(with_key "$DG_ADMIN_KEY" code /admin/keys)"
expect "GET /admin/keys shows totp: true for the key" True \
  "$(with_key "$DG_ADMIN_KEY" body /admin/keys | json_field "[k['totp'] for k in d['data'] if k['id']=='$ADMIN_ID'][0]")"

expect "admin change without a code: 401" 401 "$(create)"
expect "... an OpenAI-style error, code otp_required" otp_required \
  "$(with_key "$DG_ADMIN_KEY" body /admin/keys -X POST -H 'Content-Type: application/json' -d '{"name":"x","role":"developer"}' | json_field 'd["error"]["code"]')"
expect "admin change with a wrong code: 401" 401 "$(create -H 'X-Deepgate-OTP: 000000')"
fresh_step
CODE=$(totp 0)
expect "admin change with the live code: 201" 201 "$(create -H "X-Deepgate-OTP: $CODE")"
expect "the same code again (replayed): 401" 401 "$(create -H "X-Deepgate-OTP: $CODE")"
expect "the previous step's code after it: 401" 401 "$(create -H "X-Deepgate-OTP: $(totp -1)")"
expect "the next step's code (within ±1): 201" 201 "$(create -H "X-Deepgate-OTP: $(totp 1)")"
expect "a developer key without TOTP still works" 200 "$(code /v1/models)"
sleep 0.5
for reason in otp_missing otp_invalid otp_replayed; do
  expect_match "audited: auth_failure reason=$reason" "audit event=auth_failure .*key_id=$ADMIN_ID.*reason=\"?$reason" "$(cat "$LOG")"
done
expect "no raw secret or code in the worker log" 0 "$(grep -c -e "$(echo "$URI" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/')" -e "X-Deepgate-OTP: $CODE" "$LOG")"

# Throttled like any failed credential (8/min here, refilled continuously): wrong codes until
# the address is refused before its credentials are looked at (credential_throttle_test.sh
# shows that a good credential then waits too).
codes=""
for i in $(seq 12); do
  c=$(create -H 'X-Deepgate-OTP: 111111'); codes="$codes $c"
  [ "$c" = 429 ] && break
done
expect_match "wrong codes from one address end in 429" " 401 .* 429$" "$codes"
sleep 8  # 8/min: one more try after 7.5 s

# disable lifts it
"$DG_BIN/deepgate" admin totp disable --key "$ADMIN_ID" --config "$CONF" 2>"$PREFIX/disable.err"
expect "disable exits 0" 0 "$?"
expect_match "disable is audited" "audit event=key_totp_disabled .*key_id=$ADMIN_ID" "$(cat "$PREFIX/disable.err")"
expect "after disable an admin change needs no code" 201 "$(create)"
expect "enroll for an unknown key fails" 1 \
  "$("$DG_BIN/deepgate" admin totp enroll --key 0000000000000000 --config "$CONF" >/dev/null 2>&1; echo $?)"

# --- auth.totp_required_for_admin: a second stack where every admin change needs a code
DG_AUTH_EXTRA="$DG_AUTH_EXTRA, \"totp_required_for_admin\": true" dg_it_start
CONF=$PREFIX/conf/deepgate.json
ADMIN_ID=$(echo "$DG_ADMIN_KEY" | cut -c4-19)
expect "required: an admin key without TOTP may not change anything: 401" 401 "$(create)"
expect_match "... audited otp_not_enrolled" "key_id=$ADMIN_ID.*reason=\"?otp_not_enrolled" "$(cat "$PREFIX/logs/worker.log")"
expect "required: reads still work" 200 "$(with_key "$DG_ADMIN_KEY" code /admin/keys)"
URI=$("$DG_BIN/deepgate" admin totp enroll --key "$ADMIN_ID" --config "$CONF" --no-qr 2>/dev/null | grep '^otpauth://')
fresh_step
expect "required: once enrolled, with a live code: 201" 201 "$(create -H "X-Deepgate-OTP: $(totp 0)")"
dg_it_finish
