#!/usr/bin/env bash
# The response cache through nginx + TLS: a deterministic request misses then hits with the
# same content; another key misses (scope "key"); temperature 0.7 without a seed bypasses;
# a streamed answer is replayed as a complete SSE ending in [DONE]; an admin purge empties it;
# a developer may not purge.
source "$(dirname "$0")/lib.sh"
dg_it_before_worker() { DEV2_KEY=$(dg_stack_create_key "$PREFIX" it-developer-2 developer --rpm 0); }
dg_it_start "" 1048576

chat='{"model":"deepgate-demo","messages":[{"role":"user","content":"cache me"}],"max_tokens":12,"temperature":0}'
post() { body /v1/chat/completions -X POST -H 'Content-Type: application/json' -D "$PREFIX/h.txt" "$@"; }
cache_header() { tr -d '\r' <"$PREFIX/h.txt" | awk -F': ' 'tolower($1)=="x-deepgate-cache" {print $2}'; }
content() { json_field 'd["choices"][0]["message"]["content"] + "|" + str(d["usage"])'; }

first=$(post -d "$chat")
expect "first deterministic request misses" miss "$(cache_header)"
second=$(post -d "$chat")
expect "identical request hits" hit "$(cache_header)"
expect "hit has the same content and usage" "$(echo "$first" | content)" "$(echo "$second" | content)"
expect_match "hit carries its own response id" "chatcmpl-" "$(echo "$second" | json_field 'd["id"]')"
[ "$(echo "$first" | json_field 'd["id"]')" != "$(echo "$second" | json_field 'd["id"]')" ]
expect "hit's id differs from the original's" 0 $?

with_key "$DEV2_KEY" post -d "$chat" >/dev/null
expect "another key misses (scope key)" miss "$(cache_header)"

warm='{"model":"deepgate-demo","messages":[{"role":"user","content":"cache me"}],"max_tokens":12,"temperature":0.7}'
post -d "$warm" >/dev/null
expect "temperature 0.7 without a seed bypasses" bypass "$(cache_header)"
post -d "${warm%\}},\"seed\":5}" >/dev/null
expect "a seed makes it cacheable" miss "$(cache_header)"

stream='{"model":"deepgate-demo","messages":[{"role":"user","content":"stream me"}],"max_tokens":12,"temperature":0,"stream":true}'
s1=$(post -N -d "$stream")
expect "first stream misses" miss "$(cache_header)"
s2=$(post -N -d "$stream")
expect "identical stream hits" hit "$(cache_header)"
expect "replayed stream ends with [DONE]" "data: [DONE]" "$(echo "$s2" | grep -v '^$' | tail -n 1)"
deltas() { grep '^data: {' | sed 's/^data: //' | python3 -c '
import json, sys
print("".join(c["choices"][0]["delta"].get("content") or "" for c in map(json.loads, sys.stdin) if c.get("choices")))'; }
expect "replayed stream has the same text" "$(echo "$s1" | deltas)" "$(echo "$s2" | deltas)"
expect "replayed stream has as many events" "$(echo "$s1" | grep -c '^data: ')" "$(echo "$s2" | grep -c '^data: ')"

expect "a developer may not purge" 403 "$(code /admin/cache/purge -X POST)"
purged=$(with_key "$DG_ADMIN_KEY" body /admin/cache/purge -X POST -H 'Content-Type: application/json' -d '{}' | json_field 'd["purged"]')
expect_match "admin purge drops the entries" '^[1-9]' "$purged"
post -d "$chat" >/dev/null
expect "after a purge the request misses" miss "$(cache_header)"
grep -q 'route=admin.cache.purge .*status=200' "$PREFIX/logs/worker.log"
expect "purge audited" 0 $?
dg_it_finish
