#!/usr/bin/env bash
# Builds deepgate and serves it: deepgate-fcgi behind nginx on https://127.0.0.1:8443
# (self-signed certificate), with all state under ./.deepgate-local/ (demo model, cert,
# configs, logs). On a fresh Debian 12 as root it installs the packages it needs.
#
#   ./run.sh            foreground; Ctrl-C stops everything
#   ./run.sh --detach   returns once /ready answers 200; the stack keeps running
#   ./run.sh --stop     stops a detached stack
#
# Env: DEEPGATE_PORT (8443), DEEPGATE_MODEL=/path/to/model.gguf (default: the demo model).
# `build/bin/deepgate generate -m MODEL -p TEXT --chat` still runs one generation offline.
set -euo pipefail
cd "$(dirname "$0")"
state=$PWD/.deepgate-local
export DG_SOURCE_DIR=$PWD
source scripts/stack.sh

mode=foreground
case "${1:-}" in
  --detach) mode=detach ;;
  --stop) mode=stop ;;
  "") ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--detach | --stop]" >&2; exit 2 ;;
esac

if [ "$mode" = stop ]; then
  dg_stack_stop "$state"
  echo "deepgate: stopped"
  exit 0
fi
if [ -f "$state/run/worker.pid" ] && kill -0 "$(cat "$state/run/worker.pid")" 2>/dev/null; then
  echo "deepgate: already running (./run.sh --stop first)" >&2
  exit 1
fi

source scripts/install-deps.sh
deepgate_install_deps
deepgate_build

port=${DEEPGATE_PORT:-8443}
mkdir -p "$state"
model=${DEEPGATE_MODEL:-$state/demo.gguf}
if [ -z "${DEEPGATE_MODEL:-}" ]; then
  export DG_MODEL_ID=deepgate-demo
  [ -s "$model" ] || echo "deepgate: generating the demo model at $model" >&2
  dg_stack_model "$model"
fi
[ -r "$model" ] || { echo "deepgate: cannot read model $model" >&2; exit 1; }
model=$(realpath "$model")
dg_stack_prepare "$state" "$port" "$model" 1048576 '"shutdown_deadline_ms": 5000'
dg_ensure_journald

# First start: an admin and a developer key, kept 0600 under $state and shown once.
if [ ! -s "$state/developer.key" ]; then
  (umask 077
   dg_stack_create_key "$state" local-admin admin >"$state/admin.key"
   dg_stack_create_key "$state" local-developer developer >"$state/developer.key")
  cat <<KEYS
deepgate: created two API keys (shown once; also in $state/{admin,developer}.key, mode 0600):
  admin:     $(cat "$state/admin.key")
  developer: $(cat "$state/developer.key")
  Send one as 'Authorization: Bearer <key>' (OpenAI SDKs: api_key=<key>). More keys:
  build/bin/deepgate keys create --config $state/conf/deepgate.json --name NAME --role developer
KEYS
fi
export DG_API_KEY=$(cat "$state/developer.key")

cleanup() {
  trap - INT TERM EXIT
  echo >&2
  echo "deepgate: stopping" >&2
  dg_stack_stop "$state"
}

if [ "$mode" = detach ]; then
  # A new session: the stack outlives this shell and its terminal (no SIGHUP, no Ctrl-C).
  # `exec` inside keeps the pid that the pid file records.
  setsid -f sh -c 'echo $$ >"$1/run/worker.pid"; exec "$2" --config "$1/conf/deepgate.json" </dev/null >>"$1/logs/worker.log" 2>&1' \
    sh "$state" "$DG_BIN/deepgate-fcgi"
  setsid -f sh -c 'echo $$ >"$1/run/nginx.pid"; exec nginx -p "$1" -c conf/nginx.conf -e "$1/logs/error.log" -g "daemon off;" </dev/null >>"$1/logs/error.log" 2>&1' \
    sh "$state"
  for _ in $(seq 50); do [ -s "$state/run/worker.pid" ] && [ -s "$state/run/nginx.pid" ] && break; sleep 0.1; done
else
  trap 'cleanup; exit 0' INT TERM
  trap cleanup EXIT
  dg_stack_start_worker "$state" -   # worker log (one audit line per request) on this terminal
  dg_stack_start_nginx "$state"
fi

if ! dg_stack_wait_ready "$state" "${DEEPGATE_READY_TIMEOUT:-300}"; then
  tail -n 20 "$state/logs/worker.log" "$state/logs/error.log" >&2 || true
  [ "$mode" = detach ] && dg_stack_stop "$state"
  exit 1
fi

url=$(dg_stack_url "$state")
model_id=$(curl -k -s -H "Authorization: Bearer $DG_API_KEY" "$url/v1/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
cat <<MSG
deepgate: ready on $url (model '$model_id'; logs in $state/logs/)
  web console: $url/console/ (sign in with one of the keys above)
  export DG_API_KEY=\$(cat $state/developer.key)
  curl -k $url/v1/models -H "Authorization: Bearer \$DG_API_KEY"
  curl -k $url/v1/chat/completions -H "Authorization: Bearer \$DG_API_KEY" -H 'Content-Type: application/json' \\
       -d '{"model":"$model_id","messages":[{"role":"user","content":"Hello!"}]}'
MSG
if [ "$mode" = detach ]; then
  echo "deepgate: running in the background; ./run.sh --stop stops it"
  exit 0
fi
echo "deepgate: Ctrl-C stops the stack"
# Wait for Ctrl-C (the trap stops everything) or for either process to die on its own.
while kill -0 "$(cat "$state/run/worker.pid")" 2>/dev/null && kill -0 "$(cat "$state/run/nginx.pid")" 2>/dev/null; do
  sleep 1
done
echo "deepgate: a process exited; see $state/logs/" >&2
exit 1
