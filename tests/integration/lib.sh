#!/usr/bin/env bash
# Shared setup for integration tests: a real nginx (TLS on a free loopback port) in front of
# deepgate-fcgi, in a temp prefix. dg_it_start brings the stack up; an EXIT trap stops every
# process it started and removes the prefix, also when a check fails or the test is killed.
set -uo pipefail
DG_SOURCE_DIR=${DEEPGATE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DG_BIN=${DEEPGATE_BIN:-$DG_SOURCE_DIR/build/bin}
# shellcheck source=../../scripts/stack.sh
source "$DG_SOURCE_DIR/scripts/stack.sh"

export DG_MODEL_ID=deepgate-demo
# The test routes (/_test/*) are open to the developer role in test stacks.
export DG_AUTH_EXTRA=${DG_AUTH_EXTRA-'"roles": {"admin": ["*"], "developer": ["chat.completions", "completions", "models.*", "me.usage", "test.*"], "monitor": ["health", "ready", "metrics", "admin.audit", "admin.usage"]}'}
DG_IT_FAILS=0
DG_IT_PREFIXES=()

dg_it_skip() { echo "SKIP: $*"; exit 77; }
command -v nginx >/dev/null || dg_it_skip "nginx is not installed (scripts/install-deps.sh)"
command -v curl >/dev/null || dg_it_skip "curl is not installed"
[ -x "$DG_BIN/deepgate-fcgi" ] || dg_it_skip "$DG_BIN/deepgate-fcgi is not built"
if [ "$(id -u)" -ne 0 ]; then DG_NGINX_USER=$(id -un); fi

dg_it_cleanup() {
  local p
  for p in "${DG_IT_PREFIXES[@]}"; do
    dg_stack_stop "$p"
    if [ "$DG_IT_FAILS" -ne 0 ]; then
      echo "--- $p/logs/worker.log (tail)"; tail -n 20 "$p/logs/worker.log" 2>/dev/null
      echo "--- $p/logs/error.log (tail)"; tail -n 20 "$p/logs/error.log" 2>/dev/null
    fi
    rm -rf "$p"
  done
}
trap dg_it_cleanup EXIT
trap 'exit 130' INT TERM

# dg_it_start [EXTRA_JSON] [MAX_BODY]: sets PREFIX and URL.
dg_it_start() {
  PREFIX=$(mktemp -d /tmp/deepgate-it.XXXXXX)
  DG_IT_PREFIXES+=("$PREFIX")
  local port
  port=$(dg_free_port)
  dg_stack_model "$PREFIX/model.gguf" || { echo "FAIL: could not make a model"; exit 1; }
  dg_stack_prepare "$PREFIX" "$port" "$PREFIX/model.gguf" "${2:-4096}" "${1:-}" || exit 1
  # Credentials: one developer and one admin key, made with the CLI as an operator would.
  # --rpm 0: the config's rate limits apply (none unless a test sets them), not 120/min.
  DG_API_KEY=$(dg_stack_create_key "$PREFIX" it-developer developer --rpm 0) &&
    DG_ADMIN_KEY=$(dg_stack_create_key "$PREFIX" it-admin admin --rpm 0) ||
    { echo "FAIL: could not create API keys"; exit 1; }
  export DG_API_KEY DG_ADMIN_KEY
  # A test may prepare more state before the worker starts.
  if [ "$(type -t dg_it_before_worker)" = function ]; then dg_it_before_worker; fi
  if [ -n "${DG_IT_ACTIVATE:-}" ]; then
    # systemd-socket-activate binds the socket, then execs the worker (same pid) on the first
    # connection with the socket as fd 3. It creates the socket 0644: open it up for nginx.
    DEEPGATE_FCGI_TEST_ROUTES=1 systemd-socket-activate -l "$PREFIX/run/deepgate.sock" -E DEEPGATE_FCGI_TEST_ROUTES \
      "$DG_BIN/deepgate-fcgi" --config "$PREFIX/conf/deepgate.json" 2>>"$PREFIX/logs/worker.log" &
    echo $! >"$PREFIX/run/worker.pid"
    for _ in $(seq 50); do [ -S "$PREFIX/run/deepgate.sock" ] && break; sleep 0.1; done
    chmod 0666 "$PREFIX/run/deepgate.sock"
  else
    DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$PREFIX"
  fi
  dg_stack_start_nginx "$PREFIX"
  URL=$(dg_stack_url "$PREFIX")
  dg_stack_wait_ready "$PREFIX" 30 || { DG_IT_FAILS=1; echo "FAIL: stack did not become ready"; exit 1; }
}

# expect NAME EXPECTED ACTUAL
expect() {
  if [ "$2" = "$3" ]; then echo "ok   $1"
  else echo "FAIL $1: expected [$2], got [$3]"; DG_IT_FAILS=$((DG_IT_FAILS + 1)); fi
}
# expect_match NAME REGEX ACTUAL
expect_match() {
  if [[ "$3" =~ $2 ]]; then echo "ok   $1"
  else echo "FAIL $1: [$3] does not match /$2/"; DG_IT_FAILS=$((DG_IT_FAILS + 1)); fi
}

# code/body/header send "Authorization: Bearer $DG_API_KEY" unless DG_BEARER says otherwise:
# `noauth code /v1/models` sends none, `with_key "$DG_ADMIN_KEY" code /admin/keys` another.
dg_auth_args() {
  DG_AUTH_ARGS=()
  local k=${DG_BEARER-${DG_API_KEY:-}}
  [ -n "$k" ] && DG_AUTH_ARGS=(-H "Authorization: Bearer $k")
  return 0
}
noauth() { DG_BEARER= "$@"; }
with_key() { local k=$1; shift; DG_BEARER=$k "$@"; }
# HTTP status of a request through nginx; extra curl args follow the path.
code() { local path=$1; shift; dg_auth_args; curl -k -s -o /dev/null -w '%{http_code}' --max-time 10 "${DG_AUTH_ARGS[@]}" "$@" "$URL$path"; }
body() { local path=$1; shift; dg_auth_args; curl -k -s --max-time 10 "${DG_AUTH_ARGS[@]}" "$@" "$URL$path"; }
# One response header's value (case-insensitive name), CR stripped.
header() {
  local path=$1 name=$2; shift 2
  dg_auth_args
  curl -k -s -D - -o /dev/null --max-time 10 "${DG_AUTH_ARGS[@]}" "$@" "$URL$path" | tr -d '\r' |
    awk -v n="$(echo "$name" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1)==n {print $2}'
}
# A JSON field via python (jq is not a dependency): json_field 'd["error"]["code"]'
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

dg_it_finish() {
  if [ "$DG_IT_FAILS" -ne 0 ]; then echo "$DG_IT_FAILS check(s) failed"; exit 1; fi
  echo "all checks passed"
  exit 0
}

# dg_it_npm_ci SRC DEST WHAT PACKAGE: `npm ci` of SRC's package.json + package-lock.json into
# DEST (outside the source tree), once per lockfile (the copied lockfile is the stamp; PACKAGE
# must be installed). No registry is a loud SKIP (exit 77) saying WHAT did not run; any other
# npm failure fails the test.
dg_it_npm_ci() {
  local src=$1 dest=$2 what=$3 package=$4 log
  mkdir -p "$dest"
  cmp -s "$src/package-lock.json" "$dest/package-lock.json" && [ -f "$dest/node_modules/$package/package.json" ] && return 0
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  log=$dest/npm-ci.log
  if ! timeout 300 npm ci --prefix "$dest" --no-audit --no-fund --ignore-scripts \
      --fetch-retries=1 --fetch-timeout=30000 >"$log" 2>&1; then
    rm -f "$dest/package-lock.json"  # no stamp: try again next run
    if grep -Eqi 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|proxy|certificate' "$log" \
        || [ ! -s "$log" ]; then
      tail -n 5 "$log"
      dg_it_skip "npm cannot reach the registry: $what did NOT run"
    fi
    echo "FAIL: npm ci failed (not a network error):"; tail -n 20 "$log"; exit 1
  fi
}
