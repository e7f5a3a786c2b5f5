#!/usr/bin/env bash
# Generation through nginx + TLS: chat and completions (whole and streamed), 8 concurrent
# streams, determinism and bad requests (tests/integration/chat_api_check.py), then the
# engine's bounds on a one-sequence, no-queue worker: a full engine answers 503 +
# Retry-After, and a client that goes away mid-stream frees its sequence at once.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
# engine_reserved_sequences 0: one key may queue 8 streams (they check batching, not shares).
dg_it_start '"engine_reserved_sequences": 0' 1048576
python3 "$here/chat_api_check.py" "$URL" deepgate-demo || DG_IT_FAILS=$((DG_IT_FAILS + 1))
grep -q 'route=chat.completions .*status=200' "$PREFIX/logs/worker.log"
expect "chat requests audited" 0 $?

# A second stack with room for exactly one sequence.
dg_it_start '"max_sequences": 1, "queue_length": 0' 1048576
python3 "$here/engine_bounds_check.py" "$URL" deepgate-demo || DG_IT_FAILS=$((DG_IT_FAILS + 1))
for _ in $(seq 50); do grep -q 'route=chat.completions .*outcome=client_gone' "$PREFIX/logs/worker.log" && break; sleep 0.1; done
expect "disconnect logged as client_gone" 1 "$(grep -c 'route=chat.completions .*outcome=client_gone' "$PREFIX/logs/worker.log")"
dg_it_finish
