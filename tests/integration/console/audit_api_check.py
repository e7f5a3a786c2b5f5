#!/usr/bin/env python3
"""The read-only audit API against the real journal (console_test.sh runs it after the browser
checks, so the trail holds requests, refusals and key events): cursor pages walk the trail
without gaps or repeats, filters select, only audit fields come back, roles are enforced.
Usage: audit_api_check.py URL ADMIN_KEY DEVELOPER_KEY MONITOR_KEY"""
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

url, admin, dev, monitor = sys.argv[1:5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
fails = 0

AUDIT_FIELDS = {"DEEPGATE_EVENT", "PRIORITY", "MESSAGE", "REQUEST_ID", "SUBJECT", "KEY_ID", "ROLE", "CLIENT_IP",
                "CLIENT_COUNTRY", "METHOD", "PATH", "STATUS", "MODEL", "PROMPT_TOKENS", "COMPLETION_TOKENS",
                "DURATION_MS", "REASON"}


def check(name, ok, detail=""):
    global fails
    print(("ok   " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + str(detail)[:400]))
    fails += 0 if ok else 1


def get(path, bearer, **query):
    q = urllib.parse.urlencode(query)
    req = urllib.request.Request(url + path + ("?" + q if q else ""), headers={"Authorization": "Bearer " + bearer})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


status, everything = get("/admin/audit", admin, limit=500)
check("admin reads the audit trail", status == 200, status)
entries = everything["data"]
check("the trail holds this run's entries", len(entries) > 20, len(entries))
check("newest first", all(a["time_us"] >= b["time_us"] for a, b in zip(entries, entries[1:])))
extra = {f for e in entries for f in e["fields"]} - AUDIT_FIELDS
check("only audit fields (no _CMDLINE, _PID, ...)", not extra, extra)

# Cursor pages of 7 give the same entries, in the same order, as one big page.
walked, cursor, pages = [], None, 0
while pages < 200:
    query = {"limit": 7}
    if cursor:
        query["cursor"] = cursor
    status, page = get("/admin/audit", admin, **query)
    if status != 200:
        break
    walked += page["data"]
    pages += 1
    cursor = page["next_cursor"]
    if not cursor:
        break
# Entries written after the big read (the reads themselves are audited) lead the walk.
tail = [e["cursor"] for e in walked if e["time_us"] <= entries[0]["time_us"]]
check("cursor pages walk the trail without gaps or repeats", tail[:len(entries)] == [e["cursor"] for e in entries],
      "%d walked in %d pages, %d in one read" % (len(walked), pages, len(entries)))
check("the last page says there is no next one", cursor is None and pages > 1)

status, revoked = get("/admin/audit", admin, event="key_revoked")
check("event filter", status == 200 and revoked["data"] and
      all(e["fields"]["DEEPGATE_EVENT"] == "key_revoked" for e in revoked["data"]))
key_id = dev.split("_")[1]
status, mine = get("/admin/audit", admin, key=key_id, limit=500)
check("key filter", status == 200 and mine["data"] and all(e["fields"].get("KEY_ID") == key_id for e in mine["data"]))
newest = entries[0]["time"]
status, window = get("/admin/audit", admin, since=newest - 1, until=newest + 1, limit=500)
check("since/until window", status == 200 and window["data"] and
      all(newest - 1 <= e["time"] < newest + 1 for e in window["data"]), status)
status, err = get("/admin/audit", admin, limit=0)
check("a bad limit is 400 naming it", status == 400 and "'limit'" in err["error"]["message"], err)
status, err = get("/admin/audit", admin, cursor="s=nonsense")
check("a bad cursor is 400", status == 400 and err["error"]["param"] == "cursor", (status, err))

check("a monitor key reads the trail", get("/admin/audit", monitor, limit=1)[0] == 200)
check("a developer key may not", get("/admin/audit", dev, limit=1)[0] == 403)
check("a developer key may not read everyone's usage", get("/admin/usage", dev)[0] == 403)
status, usage = get("/admin/usage", monitor)
keys = {b["key_id"] for b in usage["data"]}
check("usage for monitor covers several keys", status == 200 and len(keys) >= 3, keys)
tokens = sum(b["prompt_tokens"] + b["completion_tokens"] for b in usage["data"] if b["key_id"] == key_id)
check("usage counts the developer's tokens", tokens > 0, tokens)
status, own = get("/me/usage", dev)
check("a developer's own usage is its key only", status == 200 and own["data"] and
      {b["key_id"] for b in own["data"]} == {key_id}, own)
check("and the same numbers", sum(b["prompt_tokens"] + b["completion_tokens"] for b in own["data"]) == tokens)
status, keylist = get("/admin/keys", admin)
used = {k["id"]: k["last_used_at"] for k in keylist["data"]}
check("keys list: last_used_at from the journal", isinstance(used.get(key_id), int) and used[key_id] > 0, used)
sys.exit(1 if fails else 0)
