#!/usr/bin/env bash
# GET /metrics through nginx + TLS: a developer key is refused (403), a monitor key gets the
# Prometheus text format; a non-loopback client is refused by nginx; after chat requests and
# a bad key the counters moved (audit entries only exist with a journald, absent here); the exposition parses (tests/integration/metrics_check.py),
# and every metric the Grafana dashboard (etc/grafana/deepgate-dashboard.json) uses exists.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
dg_it_before_worker() { MON_KEY=$(dg_stack_create_key "$PREFIX" it-monitor monitor --rpm 0); }
dg_it_start "" 1048576

expect "developer key may not scrape" 403 "$(code /metrics)"
expect "no key may not scrape" 401 "$(noauth code /metrics)"
expect "monitor key scrapes" 200 "$(with_key "$MON_KEY" code /metrics)"
expect "admin key scrapes" 200 "$(with_key "$DG_ADMIN_KEY" code /metrics)"
expect_match "exposition content type" '^text/plain; version=0\.0\.4' "$(with_key "$MON_KEY" header /metrics Content-Type)"
if curl -k -s -o /dev/null --interface 127.0.0.2 "$URL/health" 2>/dev/null; then
  expect "nginx refuses /metrics off loopback" 403 "$(with_key "$MON_KEY" code /metrics --interface 127.0.0.2)"
fi

N=3
for i in $(seq $N); do
  code /v1/chat/completions -X POST -H 'Content-Type: application/json' \
    -d "{\"model\":\"deepgate-demo\",\"messages\":[{\"role\":\"user\",\"content\":\"metrics $i\"}],\"max_tokens\":8,\"temperature\":0.7}" >/dev/null
done
expect "bad key is 401" 401 "$(with_key dg_nosuchkey_0123456789abcdef0123456789abcdef code /v1/models)"
with_key "$MON_KEY" body /metrics >"$PREFIX/scrape.txt"
python3 "$here/metrics_check.py" "$PREFIX/scrape.txt" "$DG_SOURCE_DIR/etc/grafana/deepgate-dashboard.json" \
  "deepgate_requests_total{route=\"chat.completions\",status=\"200\"}>=$N" \
  'deepgate_requests_total{route="metrics",status="403"}>=1' \
  'deepgate_completion_tokens_total>0' \
  'deepgate_engine_completion_tokens_total>0' \
  "deepgate_request_duration_seconds_count{route=\"chat.completions\"}>=$N" \
  'deepgate_time_to_first_token_seconds_count>0' \
  'deepgate_inter_token_latency_seconds_count>0' \
  'deepgate_auth_failures_total{reason="jwt_expired"}==0' \
  'deepgate_engine_kv_cache_budget_bytes>0' 'deepgate_engine_kv_cache_bytes_per_token>0' \
  'deepgate_audit_entries_total>=0' 'deepgate_audit_send_errors_total==0' \
  'process_resident_memory_bytes>0' \
  'process_start_time_seconds>1500000000' || DG_IT_FAILS=$((DG_IT_FAILS + 1))
# The bad key's reason (key_malformed or key_unknown, depending on its shape) was counted.
reasons=$(grep '^deepgate_auth_failures_total' "$PREFIX/scrape.txt" | awk '$2 > 0' | wc -l)
expect_match "an auth failure reason counted" '^[1-9]' "$reasons"
dg_it_finish
