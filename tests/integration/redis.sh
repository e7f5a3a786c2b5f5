#!/usr/bin/env bash
# redis-server for integration tests: unix socket only (--port 0) in DIR, no persistence,
# started in the foreground under our control and stopped by its pid.
#
#   source redis.sh
#   dg_redis_start DIR      # sets DG_REDIS_SOCKET, DG_REDIS_PID; skips (77) without redis-server
#   dg_redis_kill           # SIGKILL: the outage under test
#   dg_redis_start DIR      # again: an empty Redis on the same socket
#   dg_redis_stop           # SIGTERM, waited for (call from the EXIT trap)

DG_REDIS_SERVER=${DG_REDIS_SERVER:-/usr/bin/redis-server}
DG_REDIS_PID=""
DG_REDIS_SOCKET=""

dg_redis_start() {
  local dir=$1 i
  [ -x "$DG_REDIS_SERVER" ] || { echo "SKIP: redis-server is not installed (scripts/install-deps.sh)"; exit 77; }
  mkdir -p "$dir"
  DG_REDIS_SOCKET=$dir/redis.sock
  rm -f "$DG_REDIS_SOCKET"
  "$DG_REDIS_SERVER" --port 0 --unixsocket "$DG_REDIS_SOCKET" --unixsocketperm 600 --save '' --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" </dev/null &
  DG_REDIS_PID=$!
  for ((i = 0; i < 50; i++)); do [ -S "$DG_REDIS_SOCKET" ] && return 0; sleep 0.1; done
  echo "FAIL: redis-server did not start; see $dir/redis.log"; exit 1
}

dg_redis_kill() {
  [ -n "$DG_REDIS_PID" ] || return 0
  kill -KILL "$DG_REDIS_PID" 2>/dev/null
  wait "$DG_REDIS_PID" 2>/dev/null
  DG_REDIS_PID=""
}

dg_redis_stop() {
  [ -n "$DG_REDIS_PID" ] || return 0
  kill -TERM "$DG_REDIS_PID" 2>/dev/null
  wait "$DG_REDIS_PID" 2>/dev/null
  DG_REDIS_PID=""
}
