#!/usr/bin/env bash
# One key cannot exhaust the engine or the worker (issue 16, findings 2 and 3): on a stack
# with a qwen2-0.5B-shape demo model (slow enough on CPU that a request runs for minutes),
# streaming clients that never read, n that multiplies sequences, and clients that leave a
# streamed or non-streamed request (exhaustion_check.py has the checks).
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || dg_it_skip "python3 is missing"
# The shipped limits (no "rate_limits" override): 8 concurrent sequences per key, 200000 tokens/min.
dg_it_start '"rate_limits": {"requests_per_minute": 0, "max_concurrent": 8, "tokens_per_minute": 200000},
  "max_sequences": 4, "queue_length": 16, "ctx_size": 4096'
MODEL05=$PREFIX/model-05b.gguf
"$DG_BIN/deepgate" model demo --out "$MODEL05" --arch qwen2 --shape qwen2-0.5b --type q4_0 >/dev/null 2>&1 ||
  { echo "FAIL: could not make the 0.5B-shape demo model"; exit 1; }
# Serve the slow model instead of the tiny one: restart the worker on it.
dg_stop_pid "$PREFIX/run/worker.pid" TERM 10
sed -i "s|\"model_path\": \"[^\"]*\"|\"model_path\": \"$MODEL05\"|" "$PREFIX/conf/deepgate.json"
DEEPGATE_FCGI_TEST_ROUTES=1 dg_stack_start_worker "$PREFIX"
dg_stack_wait_ready "$PREFIX" 120 || { DG_IT_FAILS=1; echo "FAIL: the 0.5B stack did not become ready"; exit 1; }
WIDE=$(dg_stack_create_key "$PREFIX" it-wide developer --rpm 0 --concurrent 64)
OTHER=$(dg_stack_create_key "$PREFIX" it-other developer --rpm 0)
MONITOR=$(dg_stack_create_key "$PREFIX" it-monitor monitor --rpm 0)
python3 "$(dirname "$0")/exhaustion_check.py" "$URL" deepgate-demo "$DG_API_KEY" "$WIDE" "$OTHER" "$MONITOR" ||
  DG_IT_FAILS=$((DG_IT_FAILS + 1))
kill -0 "$(cat "$PREFIX/run/worker.pid")" 2>/dev/null
expect "worker still running" 0 "$?"
dg_it_finish
