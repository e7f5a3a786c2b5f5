#!/usr/bin/env bash
# The web console (nginx/html) in a real browser: Debian's chromium, headless, driven over the
# DevTools protocol by npm puppeteer-core (pinned in console/package-lock.json) against the
# real stack (nginx + TLS + deepgate-fcgi + a private journald for the audit trail). The
# checks are in console/console_check.mjs: headers and CSP, sign-in (key and OAuth), streaming,
# Stop frees the engine sequence, regenerate, edit-and-resend, reasoning, markup shown as text,
# export, a crafted URL sends nothing, 429, keys create/rotate/revoke as admin, the revocation in
# the audit table, a developer refused the keys page. Then the audit API over that trail
# (console/audit_api_check.py): cursor pages, filters, only audit fields, roles, usage, last
# use. Screenshots: $OUT (console-*.png).
# chromium is installed when missing (root, apt); only where that is impossible does the test
# skip (exit 77), loudly.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=journal.sh
source "$HERE/journal.sh"
dg_journal_private_exec "$0" "$@"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
trap 'dg_it_cleanup; dg_journal_stop' EXIT
command -v journalctl >/dev/null || dg_it_skip "journalctl is missing"

chromium=${DG_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium (apt-get install chromium)"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }
fi
[ -x "$chromium" ] || dg_it_skip "chromium cannot be installed here (not root, or no package source): the console browser test did NOT run"
command -v node >/dev/null && command -v npm >/dev/null || dg_it_skip "node/npm are not installed: the console browser test did NOT run"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || dg_it_skip "node $node_major is too old (puppeteer-core 24 wants 18+)"

# puppeteer-core into the build tree, once per lockfile.
mods=${DEEPGATE_NODE_CONSOLE_DIR:-$(cd "$DG_BIN/.." && pwd)/node-console}
dg_it_npm_ci "$HERE/console" "$mods" "the console browser test" puppeteer-core
cp "$HERE/console/console_check.mjs" "$HERE/console/units.test.mjs" "$mods/"
# The DOM-free modules first, under node:test (package.json there makes .js files ES modules).
mkdir -p "$mods/units" && cp "$DG_SOURCE_DIR"/nginx/html/js/{sse,export,api}.js "$mods/units/"
node --test "$mods/units.test.mjs" >"$mods/units.log" 2>&1
expect "console JS units (node --test: SSE parser, exports, the OTP header)" 0 $?
[ "$DG_IT_FAILS" -eq 0 ] || cat "$mods/units.log"
echo "puppeteer-core $(node -p "require('$mods/node_modules/puppeteer-core/package.json').version"), $("$chromium" --version 2>/dev/null), node $(node --version)"

OUT=${DEEPGATE_CONSOLE_OUT:-$(cd "$DG_BIN/.." && pwd)/test-output/console}
mkdir -p "$OUT"
rm -f "$OUT"/console-*.png

dg_journal_mount
dg_journal_start
echo "journald: $DG_JOURNAL_NS"
# A key with a tiny requests/min for the 429 case (sign-in and the model list use two).
dg_it_before_worker() {
  DG_LIMITED_KEY=$(dg_stack_create_key "$PREFIX" it-limited developer --rpm 3)
  MON_KEY=$(dg_stack_create_key "$PREFIX" it-monitor monitor --rpm 0)
  export DG_LIMITED_KEY
}
dg_it_start '"audit": {"required": true}' 1048576

NODE_EXTRA_CA_CERTS=$PREFIX/conf/cert.pem timeout 300 node "$mods/console_check.mjs" "$URL" "$OUT" \
  || DG_IT_FAILS=$((DG_IT_FAILS + 1))
# A forged entry from another user (anyone can name itself "deepgate"): in the journal, but
# never in the audit API (its _UID is not the worker's).
printf 'SYSLOG_IDENTIFIER=deepgate\nDEEPGATE_EVENT=key_revoked\nKEY_ID=ffffffffffffffff\nMESSAGE=forged\n' |
  setpriv --reuid=65534 --regid=65534 --clear-groups logger --journald
expect_match "a forged entry named deepgate reached the journal" '"_UID" *: *"65534"' \
  "$(dg_journal_json SYSLOG_IDENTIFIER=deepgate DEEPGATE_EVENT=key_revoked KEY_ID=ffffffffffffffff)"
expect "the audit API does not show it" '[]' \
  "$(with_key "$DG_ADMIN_KEY" body "/admin/audit?key=ffffffffffffffff" | json_field 'json.dumps(d["data"])')"
# The audit API itself over the trail the browser run left: pages, filters, fields, roles.
python3 "$HERE/console/audit_api_check.py" "$URL" "$DG_ADMIN_KEY" "$DG_API_KEY" "$MON_KEY" || DG_IT_FAILS=$((DG_IT_FAILS + 1))
for shot in console-chat console-keys console-audit; do
  expect "screenshot $shot.png written" yes "$([ -s "$OUT/$shot.png" ] && echo yes || echo no)"
done
echo "screenshots: $OUT"
dg_it_finish
