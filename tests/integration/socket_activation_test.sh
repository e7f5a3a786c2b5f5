#!/usr/bin/env bash
# Socket activation: systemd-socket-activate hands the worker its listening socket as fd 3
# (LISTEN_FDS=1), as deepgate.socket will. The worker serves it, and on SIGTERM exits 0
# without shutting down or unlinking the socket (systemd keeps it for the next instance).
source "$(dirname "$0")/lib.sh"
command -v systemd-socket-activate >/dev/null || dg_it_skip "systemd-socket-activate is not installed"

DG_IT_ACTIVATE=1 dg_it_start
expect "worker took the passed socket" 1 "$(grep -c 'listening on the socket systemd passed' "$PREFIX/logs/worker.log")"
expect "/v1/models through the passed socket" 200 "$(code /v1/models)"

pid=$(cat "$PREFIX/run/worker.pid")
kill -TERM "$pid"
wait "$pid"; rc=$?
expect "worker exit status" 0 "$rc"
expect "socket left for systemd" yes "$([ -S "$PREFIX/run/deepgate.sock" ] && echo yes || echo no)"
rm -f "$PREFIX/run/worker.pid"
expect_match "nginx answers 502 once no one holds the socket" '^50[23]$' "$(code /v1/models)"

dg_it_finish
