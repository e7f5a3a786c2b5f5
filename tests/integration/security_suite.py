#!/usr/bin/env python3
"""Table-driven hostile-request suite for deepgate (driven by security_suite_test.sh).

  security_suite.py idp-keys DIR     IdP signing keys (RSA 2048 + EC P-256, and an attacker's
                                     pair) and DIR/jwks.json with their public halves
  security_suite.py run SUITE.json   every row of CASES against the running stack

Each row of the table is one hostile or wrong request: what is sent (method, path, headers,
body, source address), the answer expected (HTTP status, error code) and the audit entry the
worker must have written for it, read back from journald by the request id the worker echoes
in X-Request-Id (or, for requests nginx refuses itself, the proof that no worker entry exists).
After every case /health must answer 200 and the worker pid must be alive.

Standard library only; the RS256/ES256 signatures are made with the openssl CLI.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
import uuid

# --- output, lib.sh style ---------------------------------------------------------------
FAILS = 0
CHECKS = 0


def ok(name):
    global CHECKS
    CHECKS += 1
    print(f"ok   {name}", flush=True)


def fail(name, why):
    global CHECKS, FAILS
    CHECKS += 1
    FAILS += 1
    print(f"FAIL {name}: {why}", flush=True)


def expect(name, want, got):
    if want == got:
        ok(name)
    else:
        fail(name, f"expected [{want}], got [{got}]")


# --- JOSE helpers -----------------------------------------------------------------------
def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def js(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def der_ecdsa_to_raw(der):
    """DER ECDSA-Sig-Value (what openssl dgst -sign writes) -> JWS R || S, 32 bytes each."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


def sign_hs256(key):
    return lambda data: hmac.new(key, data, hashlib.sha256).digest()


def sign_rs256(pem):
    return lambda data: openssl("dgst", "-sha256", "-sign", pem, data=data)


def sign_es256(pem):
    return lambda data: der_ecdsa_to_raw(openssl("dgst", "-sha256", "-sign", pem, data=data))


def jws(header, payload, signer=None):
    """Compact JWS; header/payload are dicts (JSON-encoded) or raw bytes used as they are."""
    h = b64u(js(header) if isinstance(header, dict) else header)
    p = b64u(js(payload) if isinstance(payload, dict) else payload)
    sig = signer(f"{h}.{p}".encode()) if signer else b""
    return f"{h}.{p}.{b64u(sig)}"


# --- IdP keys ---------------------------------------------------------------------------
def idp_keys(d):
    os.makedirs(d, mode=0o700, exist_ok=True)
    for name in ("rsa", "forged_rsa"):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{d}/{name}.pem")
    for name in ("ec", "forged_ec"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{d}/{name}.pem")
    openssl("pkey", "-in", f"{d}/rsa.pem", "-pubout", "-out", f"{d}/rsa_pub.pem")
    modulus = openssl("rsa", "-in", f"{d}/rsa.pem", "-noout", "-modulus").decode().strip().split("=", 1)[1]
    ec_spki = openssl("pkey", "-in", f"{d}/ec.pem", "-pubout", "-outform", "DER")
    point = ec_spki[-65:]  # SubjectPublicKeyInfo ends with the uncompressed point 04 || X || Y
    assert point[0] == 4
    jwks = {"keys": [
        {"kty": "RSA", "kid": "idp-rsa-1", "use": "sig", "alg": "RS256",
         "n": b64u(bytes.fromhex(modulus)), "e": b64u((65537).to_bytes(3, "big"))},
        {"kty": "EC", "kid": "idp-ec-1", "use": "sig", "alg": "ES256", "crv": "P-256",
         "x": b64u(point[1:33]), "y": b64u(point[33:65])},
    ]}
    with open(f"{d}/jwks.json", "w") as f:
        json.dump(jwks, f, indent=1)


# --- the table --------------------------------------------------------------------------
NO_ENTRY = "no worker entry"   # nginx answered itself: the worker must have recorded nothing
ABSENT = None                  # journal field must not be there
# SUBJECT is a pseudonym (fcgi/audit/subject_pseudonyms.h): never the key id or the IdP's sub.
PSEUDONYM = re.compile(r"^ps_[0-9a-f]{32}$")
COUNTRY = {"127.0.0.1": "DE", "127.0.0.2": None, "127.0.0.3": "KP", "127.0.0.5": None}
EVENT_FOR = {401: "auth_failure", 403: "forbidden", 429: "rate_limited"}
CHAT = {"model": "deepgate-demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def case(name, *, status, code, journal, token=None, headers=None, method="GET", path="/v1/models",
         body=None, src="127.0.0.1", warmup=0, retry_after=False, ctype=None, reply_type="application/json"):
    """One row. token: sent as "Authorization: Bearer <token>" (None: no Authorization).
    journal: FIELD -> exact str | compiled regex | ABSENT, merged over the generic fields
    (DEEPGATE_EVENT by status, STATUS, METHOD, PATH, CLIENT_IP, CLIENT_COUNTRY, PRIORITY 5);
    or NO_ENTRY. warmup: that many identical requests first, each must be admitted (200).
    ctype: the request's Content-Type (default for a body: form); reply_type: the answer's."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    return dict(name=name, method=method, path=path, headers=h, body=body, src=src, status=status, code=code,
                journal=journal, warmup=warmup, retry_after=retry_after, ctype=ctype, reply_type=reply_type)


def build_cases(s):
    now = int(time.time())
    hs = open(s["jwt_secret_file"], "rb").read().rstrip(b"\n")   # the file's text is the HMAC key
    idp = s["idp_dir"]
    K = s["keys"]
    kid = {name: key[3:19] for name, key in K.items()}             # dg_<16 hex id>_<secret>
    ours_hdr = {"alg": "HS256", "typ": "JWT", "kid": "deepgate-hs256-1"}

    def ours(**over):
        c = {"iss": "deepgate", "aud": "deepgate-api", "sub": kid["developer"], "role": "developer",
             "iat": now, "exp": now + 300}
        c.update(over)
        return {k: v for k, v in c.items() if v is not ABSENT}

    def idp_claims(**over):
        c = {"iss": s["idp_issuer"], "aud": s["idp_audience"], "sub": "alice@idp.example", "role": "developer",
             "iat": now, "exp": now + 300}
        c.update(over)
        return {k: v for k, v in c.items() if v is not ABSENT}

    hs_ok = sign_hs256(hs)
    rsa, ec = sign_rs256(f"{idp}/rsa.pem"), sign_es256(f"{idp}/ec.pem")
    rsa_hdr = {"alg": "RS256", "typ": "JWT", "kid": "idp-rsa-1"}
    ec_hdr = {"alg": "ES256", "typ": "JWT", "kid": "idp-ec-1"}
    dev_jwt, narrow_jwt = s["jwts"]["developer"], s["jwts"]["narrow"]
    h, p, sig = dev_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    tampered = f"{h}.{b64u(js(dict(claims, role='admin')))}.{sig}"
    planted_key, planted_jwt = K["planted"], s["jwts"]["planted"]
    chat = json.dumps(CHAT)
    # Another secret of the right shape: the last base64url character carries 2 padding bits
    # that must stay zero ('A'/'E'), else the key is merely malformed.
    wrong_secret = lambda key: key[:-1] + ("E" if key[-1] == "A" else "A")
    jwt_fail = lambda reason: {"REASON": reason, "KEY_ID": ABSENT, "SUBJECT": ABSENT, "ROLE": ABSENT}
    key_fail = lambda reason, name: {"REASON": reason, "KEY_ID": kid[name] if name else ABSENT,
                                     "SUBJECT": ABSENT, "ROLE": ABSENT}
    role_denied = "role_not_permitted"
    c401 = dict(status=401, code="invalid_api_key")

    return [
        # --- transport: the Authorization header itself
        case("no credentials", **c401, journal=jwt_fail("missing_credentials")),
        case("Basic scheme", **c401, headers={"Authorization": "Basic dXNlcjpwYXNz"},
             journal=jwt_fail("malformed_authorization_header")),
        case("Bearer without a token", **c401, headers={"Authorization": "Bearer"},
             journal=jwt_fail("malformed_authorization_header")),
        case("planted key under a Token scheme", **c401, headers={"Authorization": f"Token {planted_key}"},
             journal=jwt_fail("malformed_authorization_header")),
        # --- API keys
        case("dg_ key too short", **c401, token="dg_0123456789", journal=key_fail("key_malformed", None)),
        case("dg_ key with a non-hex id", **c401, token="dg_XYZ3456789abcdef_" + "A" * 43,
             journal=key_fail("key_malformed", None)),
        case("unknown key id", **c401, token="dg_0123456789abcdef_" + "A" * 43,
             journal={"REASON": "key_unknown", "KEY_ID": "0123456789abcdef", "ROLE": ABSENT}),
        case("known id, wrong secret", **c401,
             token=wrong_secret(K["developer"]),
             journal=key_fail("key_mismatch", "developer")),
        case("revoked key", **c401, token=K["revoked"], journal=key_fail("key_revoked", "revoked")),
        case("expired key", **c401, token=K["expired"], journal=key_fail("key_expired", "expired")),
        case("rotated-out key (overlap 0)", **c401, token=K["rotated"], journal=key_fail("key_rotated", "rotated")),
        # --- a key's own factors: the client certificate it is bound to, TOTP on admin changes
        case("certificate-bound key, no verified certificate", status=401, code="client_certificate_required",
             token=K["bound"], journal=key_fail("key_cert_missing", "bound")),
        case("certificate-bound key, certificate forged as headers", status=401, code="client_certificate_required",
             token=K["bound"], headers={"Deepgate-Client-Cert": "-----BEGIN CERTIFICATE-----", "SSL-Client-Verify": "SUCCESS",
                                        "X-SSL-Client-SHA256": "SHA256:" + "AB" * 32},
             journal=key_fail("key_cert_missing", "bound")),
        case("TOTP admin key: admin change without a code", status=401, code="otp_required", token=K["totp_admin"],
             method="POST", path="/admin/keys", body="{}", ctype="application/json",
             journal=key_fail("otp_missing", "totp_admin")),
        case("TOTP admin key: a 4000-digit code", status=401, code="otp_required", token=K["totp_admin"],
             method="POST", path="/admin/keys", body="{}", ctype="application/json", headers={"X-Deepgate-OTP": "1" * 4000},
             journal=key_fail("otp_invalid", "totp_admin")),
        case("TOTP admin key: a code that is not six digits", status=401, code="otp_required", token=K["totp_admin"],
             method="POST", path="/admin/keys", body="{}", ctype="application/json", headers={"X-Deepgate-OTP": "12 345"},
             journal=key_fail("otp_invalid", "totp_admin")),
        # --- our own HS256 JWTs: one row per verifier step
        case("JWT not three parts", **c401, token="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0",
             journal=jwt_fail("jwt_malformed")),
        case("JWT in JWE shape (five parts)", **c401, token=dev_jwt + ".e30.e30", journal=jwt_fail("jwt_malformed")),
        case("JWT with an unknown crit extension", **c401,
             token=jws(dict(ours_hdr, crit=["exp"]), ours(), hs_ok), journal=jwt_fail("jwt_malformed")),
        case("JWT with bad base64url", **c401, token="eyJhbGciOiJIUzI1NiJ9.eyJz*WIiOiJ4In0.c2ln",
             journal=jwt_fail("jwt_bad_base64url")),
        case("JWT with a padded (non-url) signature", **c401, token=dev_jwt.rsplit(".", 1)[0] + ".c2ln+/w==",
             journal=jwt_fail("jwt_bad_base64url")),
        case("JWT header not JSON", **c401, token=jws(b"{alg:HS256", ours(), hs_ok), journal=jwt_fail("jwt_bad_json")),
        case("JWT payload a JSON array", **c401, token=jws(ours_hdr, b"[1,2]", hs_ok), journal=jwt_fail("jwt_bad_json")),
        case("JWT exp a string", **c401, token=jws(ours_hdr, ours(exp="tomorrow"), hs_ok),
             journal=jwt_fail("jwt_bad_json")),
        case("JWT without sub (valid signature)", **c401, token=jws(ours_hdr, ours(sub=ABSENT), hs_ok),
             journal=jwt_fail("jwt_bad_json")),
        case("JWT alg none", **c401, token=jws({"alg": "none", "typ": "JWT"}, ours()), journal=jwt_fail("jwt_alg_none")),
        case("JWT alg NONE (case games)", **c401, token=jws({"alg": "NONE"}, ours(), hs_ok),
             journal=jwt_fail("jwt_alg_none")),
        case("JWT alg HS512", **c401, token=jws(dict(ours_hdr, alg="HS512"), ours(), hs_ok),
             journal=jwt_fail("jwt_alg_not_allowed")),
        case("alg confusion: RS256 header, HMAC with the HS256 secret", **c401,
             token=jws(dict(ours_hdr, alg="RS256"), ours(), hs_ok), journal=jwt_fail("jwt_alg_not_allowed")),
        case("alg confusion: HS256 keyed with the IdP's RSA public key", **c401,
             token=jws({"alg": "HS256", "typ": "JWT", "kid": "idp-rsa-1"}, idp_claims(),
                       sign_hs256(open(f"{idp}/rsa_pub.pem", "rb").read())),
             journal=jwt_fail("jwt_alg_not_allowed")),
        case("JWT from an unknown issuer", **c401, token=jws(ours_hdr, ours(iss="https://evil.example"), hs_ok),
             journal=jwt_fail("jwt_unknown_issuer")),
        case("JWT without iss", **c401, token=jws(ours_hdr, ours(iss=ABSENT), hs_ok),
             journal=jwt_fail("jwt_unknown_issuer")),
        case("JWT nbf 10 min ahead", **c401, token=jws(ours_hdr, ours(nbf=now + 600), hs_ok),
             journal=jwt_fail("jwt_not_yet_valid")),
        case("JWT iat 10 min ahead", **c401, token=jws(ours_hdr, ours(iat=now + 600, exp=now + 900), hs_ok),
             journal=jwt_fail("jwt_not_yet_valid")),
        case("JWT without exp", **c401, token=jws(ours_hdr, ours(exp=ABSENT), hs_ok), journal=jwt_fail("jwt_missing_exp")),
        case("JWT expired beyond leeway", **c401, token=jws(ours_hdr, ours(iat=now - 600, exp=now - 120), hs_ok),
             journal=jwt_fail("jwt_expired")),
        case("JWT for another audience", **c401, token=jws(ours_hdr, ours(aud="someone-else"), hs_ok),
             journal=jwt_fail("jwt_bad_audience")),
        case("JWT without aud", **c401, token=jws(ours_hdr, ours(aud=ABSENT), hs_ok),
             journal=jwt_fail("jwt_bad_audience")),
        case("JWT with an unknown kid", **c401, token=jws(dict(ours_hdr, kid="deepgate-hs256-9"), ours(), hs_ok),
             journal=jwt_fail("jwt_unknown_kid")),
        case("JWT tampered (role -> admin, signature kept)", **c401, token=tampered, path="/admin/keys",
             journal=jwt_fail("jwt_bad_signature")),
        case("JWT signed with another secret", **c401,
             token=jws(ours_hdr, ours(), sign_hs256(b"0" * 64)), journal=jwt_fail("jwt_bad_signature")),
        case("JWT with a role that does not exist", **c401, token=jws(ours_hdr, ours(role="root"), hs_ok),
             journal=jwt_fail("jwt_no_role")),
        # An Authorization line over nginx's header buffer (large_client_header_buffers 8k) never
        # reaches the worker (its own token_too_large, > 8192 bytes, is unreachable through
        # nginx): nginx answers 431 in the API's JSON shape (snippets/deepgate-errors.conf).
        case("oversized Authorization header (9 KiB)", status=431, code="header_too_large",
             token="eyJ" + "A" * 9216, journal=NO_ENTRY),
        case("large (~7.7 KiB) forged JWT below nginx's limit", **c401,
             token=jws(ours_hdr, ours(pad="x" * 5600), sign_hs256(b"1" * 64)), journal=jwt_fail("jwt_bad_signature")),
        # --- an external IdP (RS256 + ES256, JWKS with two keys)
        case("IdP token with an unknown kid", **c401, token=jws(dict(rsa_hdr, kid="idp-rsa-0"), idp_claims(), rsa),
             journal=jwt_fail("jwt_unknown_kid")),
        # Without a kid the issuer must have exactly one key; this JWKS has two. (Regression: a
        # non-const jsoncpp operator[] once inserted a null kid and answered jwt_bad_json.)
        case("IdP token without kid (JWKS has two keys)", **c401,
             token=jws({"alg": "RS256", "typ": "JWT"}, idp_claims(), rsa), journal=jwt_fail("jwt_unknown_kid")),
        case("IdP ES256 token naming the RSA key", **c401, token=jws(dict(ec_hdr, kid="idp-rsa-1"), idp_claims(), ec),
             journal=jwt_fail("jwt_key_type_mismatch")),
        case("IdP RS256 token forged with another key", **c401,
             token=jws(rsa_hdr, idp_claims(), sign_rs256(f"{idp}/forged_rsa.pem")), journal=jwt_fail("jwt_bad_signature")),
        case("IdP ES256 token forged with another key", **c401,
             token=jws(ec_hdr, idp_claims(), sign_es256(f"{idp}/forged_ec.pem")), journal=jwt_fail("jwt_bad_signature")),
        case("IdP token for our audience", **c401, token=jws(rsa_hdr, idp_claims(aud="deepgate-api"), rsa),
             journal=jwt_fail("jwt_bad_audience")),
        case("IdP token expired", **c401, token=jws(ec_hdr, idp_claims(iat=now - 900, exp=now - 300), ec),
             journal=jwt_fail("jwt_expired")),
        case("IdP token whose role maps to nothing", **c401, token=jws(rsa_hdr, idp_claims(role="superuser"), rsa),
             journal=jwt_fail("jwt_no_role")),
        # Issue 16, finding 6: the role map is explicit; an IdP claiming one of our role names
        # that the map does not list is refused, and a typ that is not a JWT is refused.
        case("IdP token claiming admin, which the role map does not list", **c401,
             token=jws(rsa_hdr, idp_claims(role="admin"), rsa), journal=jwt_fail("jwt_no_role")),
        case("IdP token with typ secevent+jwt", **c401,
             token=jws(dict(rsa_hdr, typ="secevent+jwt"), idp_claims(), rsa), journal=jwt_fail("jwt_bad_type")),
        # --- OAuth token endpoint (public route; the handler audits its refusals itself). Like
        # every refusal: one entry, under auth_failure, with the client's country (audit_record.h).
        case("token endpoint: wrong client_secret", **c401, method="POST", path="/v1/oauth/token",
             body=f"grant_type=client_credentials&client_id={kid['developer']}&client_secret={wrong_secret(K['developer'])}",
             journal={"REASON": "key_mismatch", "KEY_ID": kid["developer"]}),
        case("token endpoint: revoked key", **c401, method="POST", path="/v1/oauth/token",
             body=f"grant_type=client_credentials&client_id={kid['revoked']}&client_secret={K['revoked']}",
             journal={"REASON": "key_revoked", "KEY_ID": kid["revoked"]}),
        case("token endpoint: a JWT as client_secret", **c401, method="POST", path="/v1/oauth/token",
             body=f"grant_type=client_credentials&client_id={kid['planted']}&client_secret={planted_jwt}",
             journal={"REASON": "key_malformed", "KEY_ID": ABSENT}),
        case("token endpoint: planted key under another client_id", **c401, method="POST", path="/v1/oauth/token",
             body=f"grant_type=client_credentials&client_id={kid['developer']}&client_secret={planted_key}",
             journal={"REASON": "key_mismatch", "KEY_ID": kid["planted"]}),
        # --- roles and models (authenticated, not authorised)
        case("developer key on the admin API", status=403, code="permission_denied", token=K["developer"],
             path="/admin/keys", journal={"KEY_ID": kid["developer"], "SUBJECT": PSEUDONYM,
                                          "ROLE": "developer", "REASON": role_denied}),
        case("planted key on the admin API", status=403, code="permission_denied", token=planted_key,
             path="/admin/keys", journal={"KEY_ID": kid["planted"], "ROLE": "developer", "REASON": role_denied}),
        case("planted JWT on the admin API", status=403, code="permission_denied", token=planted_jwt,
             path="/admin/keys", journal={"KEY_ID": kid["planted"], "ROLE": "developer", "REASON": role_denied}),
        case("monitor key on /v1/models", status=403, code="permission_denied", token=K["monitor"],
             journal={"KEY_ID": kid["monitor"], "ROLE": "monitor", "REASON": role_denied}),
        case("monitor IdP token on /v1/models", status=403, code="permission_denied",
             token=jws(rsa_hdr, idp_claims(role="monitor"), rsa),
             journal={"KEY_ID": ABSENT, "SUBJECT": PSEUDONYM, "ROLE": "monitor", "REASON": role_denied}),
        # A model refusal is an authorisation refusal (auth_failure.h): one `forbidden` entry with
        # REASON model_not_allowed, like the role check's.
        case("key limited to other-model asks for deepgate-demo", status=403, code="model_not_allowed",
             token=K["narrow"], method="POST", path="/v1/chat/completions", body=chat, ctype="application/json",
             journal={"KEY_ID": kid["narrow"], "ROLE": "developer", "REASON": "model_not_allowed"}),
        case("that key's JWT asks for deepgate-demo", status=403, code="model_not_allowed",
             token=narrow_jwt, method="POST", path="/v1/completions", ctype="application/json",
             body=json.dumps({"model": "deepgate-demo", "prompt": "hi", "max_tokens": 2}),
             journal={"KEY_ID": kid["narrow"], "ROLE": "developer", "REASON": "model_not_allowed"}),
        # --- policy: countries and rate limits
        # The country rule runs before any credential is looked at (issue 16, finding 4): the
        # entry names no key, and a bad key gets the same 403 as a good one (no 401 oracle).
        case("denied country (127.0.0.3 -> KP)", status=403, code="country_blocked", token=K["developer"],
             src="127.0.0.3", journal={"KEY_ID": ABSENT, "REASON": "country_denied:KP"}),
        case("planted JWT from the denied country", status=403, code="country_blocked", token=planted_jwt,
             src="127.0.0.3", journal={"KEY_ID": ABSENT, "REASON": "country_denied:KP"}),
        case("a wrong key from the denied country: 403, not 401", status=403, code="country_blocked",
             token="dg_" + kid["developer"] + "_" + "A" * 43, src="127.0.0.3",
             journal={"KEY_ID": ABSENT, "REASON": "country_denied:KP"}),
        case("unplaceable address (127.0.0.5), unknown_country deny", status=403, code="country_blocked",
             token=K["developer"], src="127.0.0.5", journal={"KEY_ID": ABSENT, "REASON": "country_unknown"}),
        case("rate limit: 3rd request on a 2/min key", status=429, code="rate_limit_exceeded", token=K["limited"],
             warmup=2, retry_after=True, journal={"KEY_ID": kid["limited"], "REASON": "requests_per_minute"}),
        case("rate limit: still refused", status=429, code="rate_limit_exceeded", token=K["limited"],
             retry_after=True, journal={"KEY_ID": kid["limited"], "REASON": "requests_per_minute"}),
        # --- nginx's allowlist: 127.0.0.2 never reaches the worker
        case("address outside the allowlist (127.0.0.2)", status=403, code="ip_not_allowed", token=K["developer"],
             src="127.0.0.2", journal=NO_ENTRY),
        case("planted key from outside the allowlist", status=403, code="ip_not_allowed", token=planted_key,
             src="127.0.0.2", journal=NO_ENTRY),
        # --- planted credentials where no credential belongs
        case("planted key as ?api_key=", **c401, path=f"/v1/models?api_key={planted_key}",
             journal=jwt_fail("missing_credentials")),
        case("planted JWT as ?access_token=", **c401, path=f"/v1/models?access_token={planted_jwt}",
             journal=jwt_fail("missing_credentials")),
        case("planted key in X-Api-Key", **c401, headers={"X-Api-Key": planted_key},
             journal=jwt_fail("missing_credentials")),
        case("planted JWT in X-Api-Key, garbage bearer", **c401, token="garbage",
             headers={"X-Api-Key": planted_jwt}, journal=jwt_fail("jwt_malformed")),
    ]


# --- running it -------------------------------------------------------------------------
class Stack:
    def __init__(self, s):
        self.port = s["port"]
        self.worker_pid = s["worker_pid"]
        self.tls = ssl.create_default_context()
        self.tls.check_hostname = False
        self.tls.verify_mode = ssl.CERT_NONE

    def send(self, method, path, headers, body=None, src="127.0.0.1"):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.tls, timeout=10,
                                           source_address=(src, 0))
        try:
            conn.request(method, path, body=body.encode() if body else None, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def serving(self):
        try:
            st, _, _ = self.send("GET", "/health", {})
        except OSError as e:
            return f"/health: {e}"
        try:
            os.kill(self.worker_pid, 0)
        except OSError:
            return "the worker pid is gone"
        return None if st == 200 else f"/health answered {st}"


def journal_entries():
    out = subprocess.run(["journalctl", "-o", "json", "--no-pager", "SYSLOG_IDENTIFIER=deepgate"],
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def by_request_id(entries):
    idx = {}
    for e in entries:
        if "REQUEST_ID" in e and e.get("DEEPGATE_EVENT") != "anomaly":
            idx.setdefault(e["REQUEST_ID"], []).append(e)
    return idx


def run(suite_file):
    s = json.load(open(suite_file))
    stack = Stack(s)
    cases = build_cases(s)
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    print(f"{len(cases)} hostile cases", flush=True)

    sent = []            # (case, its request id, or for NO_ENTRY rows its marker path; status)
    messages_401 = set()
    for n, c in enumerate(cases, 1):
        name = c["name"]
        path = c["path"]
        if c["journal"] == NO_ENTRY:  # a path of its own, to prove no worker entry names it
            path = path.split("?")[0] + "/sx-" + uuid.uuid4().hex
        headers = dict(c["headers"])
        if c["ctype"] and c["body"] is not None:
            headers["Content-Type"] = c["ctype"]
        elif c["body"] is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for i in range(c["warmup"]):
            st, _, _ = stack.send(c["method"], path, headers, c["body"], c["src"])
            expect(f"{name}: warm-up {i + 1} admitted", 200, st)
        try:
            st, hdrs, data = stack.send(c["method"], path, headers, c["body"], c["src"])
        except OSError as e:
            fail(name, f"request failed: {e}")
            continue
        try:
            err = json.loads(data)["error"]
        except (ValueError, KeyError, TypeError):
            err = None
        got_code = err.get("code") if err else None
        detail = f"{st} {got_code or '(' + hdrs.get('content-type', '?').split(';')[0] + ')'}"
        if st != c["status"] or got_code != c["code"]:
            fail(name, f"expected [{c['status']} {c['code']}], got [{detail}] body={data[:200]!r}")
        elif not hdrs.get("content-type", "").startswith(c["reply_type"]):
            fail(name, f"expected a {c['reply_type']} answer, got {hdrs.get('content-type')}")
        else:
            ok(f"{name}: {detail}")
        if err and st == 401:
            # A bad credential gets one generic message (no oracle). A key's own factor (its
            # certificate, a TOTP code) is refused only once the key itself verified, and says
            # what is missing: its caller holds the key already.
            if got_code == "invalid_api_key":
                messages_401.add(err.get("message"))
            if err.get("type") != "authentication_error":
                fail(f"{name}: error type", f"expected authentication_error, got {err.get('type')}")
        if c["retry_after"]:
            ra = hdrs.get("retry-after", "")
            if ra.isdigit() and 1 <= int(ra) <= 60:
                ok(f"{name}: Retry-After {ra}")
            else:
                fail(f"{name}: Retry-After", f"expected 1..60 s, got [{ra}]")
        secrets = [v.split(" ", 1)[-1] for v in c["headers"].values()] + re.findall(r"=([^&]{20,})", c["path"] + "&" + (c["body"] or ""))
        leaked = [x for x in secrets if len(x) >= 12 and x.encode() in data]
        if leaked:
            fail(f"{name}: response echoes a credential", leaked[0][:16] + "…")
        rid = hdrs.get("x-request-id")
        if c["journal"] == NO_ENTRY:
            if rid:
                fail(f"{name}: nginx answered", f"X-Request-Id {rid}: the worker answered this request")
            sent.append((c, path, st))
        elif not rid:
            fail(f"{name}: X-Request-Id", "missing: cannot find the audit entry")
        else:
            sent.append((c, rid, st))
        why = stack.serving()
        if why:
            fail(f"after {name}: worker keeps serving", why)
        elif n % 10 == 0 or n == len(cases):
            ok(f"worker keeps serving after {n} cases (/health 200, pid alive)")

    expect("every credential 401 has the same generic message", 1, len(messages_401))

    # --- the audit trail. A sentinel request last: once its entry is in, so is every earlier one.
    _, hdrs, _ = stack.send("GET", "/health", {})
    sentinel = hdrs.get("x-request-id")
    deadline = time.time() + 10
    while True:
        idx = by_request_id(journal_entries())
        missing = [rid for c, rid, _ in sent if c["journal"] != NO_ENTRY and rid not in idx]
        if (sentinel in idx and not missing) or time.time() > deadline:
            break
        time.sleep(0.2)
    entries = journal_entries()
    idx = by_request_id(entries)
    for c, rid, st in sent:
        name = c["name"]
        if c["journal"] == NO_ENTRY:
            hits = [e for e in entries if e.get("PATH") == rid]
            expect(f"{name}: no worker audit entry (nginx refused it)", 0, len(hits))
            log = open(os.path.join(s["prefix"], "logs", "access.log"), errors="replace").read()
            line = re.search(re.escape(rid) + r'[^"]*" ' + str(c["status"]) + " ", log)
            expect(f"{name}: nginx access log shows its {c['status']}", True, bool(line))
            continue
        found = idx.get(rid, [])
        if len(found) != 1:
            fail(f"{name}: journal", f"expected 1 entry for REQUEST_ID={rid}, got {len(found)}: "
                 + ", ".join(f"{e.get('DEEPGATE_EVENT')}/{e.get('STATUS')}" for e in found))
            if not found:
                continue
        e = next((x for x in found if x.get("DEEPGATE_EVENT") == EVENT_FOR.get(c["status"])), found[0])
        want = {"DEEPGATE_EVENT": EVENT_FOR.get(c["status"]), "STATUS": str(c["status"]), "PRIORITY": "5",
                "METHOD": c["method"], "PATH": c["path"].split("?")[0], "CLIENT_IP": c["src"],
                "CLIENT_COUNTRY": COUNTRY[c["src"]]}
        want.update(c["journal"])
        bad = []
        for field, w in want.items():
            g = e.get(field)
            if w is ABSENT:
                if g is not None:
                    bad.append(f"{field}=[{g}] should be absent")
            elif isinstance(w, re.Pattern):
                if g is None or not w.search(str(g)):
                    bad.append(f"{field}=[{g}] !~ /{w.pattern}/")
            elif g != w:
                bad.append(f"{field}=[{g}] != [{w}]")
        if bad:
            fail(f"{name}: journal", "; ".join(bad))
        else:
            ok(f"{name}: journal {want['DEEPGATE_EVENT']}" + (f" {want['REASON']}" if isinstance(want.get("REASON"), str) else ""))

    print(f"{len(cases)} hostile cases, {CHECKS} checks, {FAILS} failed", flush=True)
    return min(FAILS, 100)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "idp-keys":
        idp_keys(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        sys.exit(run(sys.argv[2]))
    sys.exit("usage: security_suite.py idp-keys DIR | run SUITE.json")
