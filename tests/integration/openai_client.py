"""Minimal HTTPS client for the integration tests: JSON requests and SSE streams with the
arrival time of every event (stdlib only; the TLS certificate is the stack's self-signed one)."""
import http.client
import json
import os
import ssl
import time
import urllib.parse


class Client:
    """Sends "Authorization: Bearer <api_key>"; api_key defaults to $DG_API_KEY, "" sends none."""

    def __init__(self, url, api_key=None):
        self.api_key = os.environ.get("DG_API_KEY", "") if api_key is None else api_key
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE

    def conn(self, timeout=60):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def headers(self):
        h = {"Content-Type": "application/json"}
        if self.api_key:
            h["Authorization"] = "Bearer " + self.api_key
        return h

    def post(self, path, body):
        c = self.conn()
        c.request("POST", path, body=json.dumps(body), headers=self.headers())
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return r.status, dict(r.getheaders()), parsed

    def stream(self, path, body, stop_after=None):
        """Returns (status, [(t, event)], done_seen). event is parsed JSON or the string
        '[DONE]'. stop_after=N closes the connection after N events (a client going away)."""
        c = self.conn()
        c.request("POST", path, body=json.dumps(body), headers=self.headers())
        r = c.getresponse()
        events, done = [], False
        if r.status != 200:
            c.close()
            return r.status, events, False
        start = time.monotonic()
        while True:
            line = r.readline()  # not r.fp: that would return chunked-encoding framing
            if not line:
                break
            line = line.decode().rstrip("\r\n")
            if not line.startswith("data: "):
                continue
            payload = line[len("data: "):]
            if payload == "[DONE]":
                done = True
                events.append((time.monotonic() - start, payload))
                break
            events.append((time.monotonic() - start, json.loads(payload)))
            if stop_after is not None and len(events) >= stop_after:
                break
        c.close()
        return r.status, events, done


class Checks:
    """ok/FAIL lines in the style of the shell integration tests."""

    def __init__(self):
        self.fails = 0

    def expect(self, name, want, got):
        if want == got:
            print("ok   " + name)
        else:
            print("FAIL %s: expected [%r], got [%r]" % (name, want, got))
            self.fails += 1

    def finish(self):
        print("%d check(s) failed" % self.fails if self.fails else "all checks passed")
        raise SystemExit(1 if self.fails else 0)
