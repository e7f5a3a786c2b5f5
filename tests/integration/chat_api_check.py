"""Generation through nginx + TLS: chat and completions, whole and streamed, batching,
determinism and errors. Usage: chat_api_check.py URL MODEL_ID. Prints ok/FAIL lines and
exits 1 when any check failed."""
import sys
import threading

from openai_client import Checks, Client

url, model = sys.argv[1], sys.argv[2]
api = Client(url)
# The determinism checks ask the engine twice: Cache-Control: no-cache keeps the worker's
# response cache from answering the second request.
fresh = Client(url)
fresh.headers = lambda: dict(Client.headers(fresh), **{"Cache-Control": "no-cache"})
checks = Checks()
expect = checks.expect


def chat(content, **kw):
    body = {"model": model, "messages": [{"role": "user", "content": content}], "temperature": 0, "max_tokens": 24}
    body.update(kw)
    return body


# Non-streamed chat completion.
status, _, r = api.post("/v1/chat/completions", chat("Hello there"))
expect("chat 200", 200, status)
expect("chat object", "chat.completion", r["object"])
expect("chat model", model, r["model"])
expect("chat id prefix", True, r["id"].startswith("chatcmpl-"))
expect("chat role", "assistant", r["choices"][0]["message"]["role"])
expect("chat finish reason", True, r["choices"][0]["finish_reason"] in ("stop", "length"))
u = r["usage"]
expect("usage total", u["prompt_tokens"] + u["completion_tokens"], u["total_tokens"])
expect("usage completion <= max_tokens", True, 0 < u["completion_tokens"] <= 24)
expect("usage prompt tokens", True, u["prompt_tokens"] > 5)
greedy = r["choices"][0]["message"]["content"]
status, hdrs, again = fresh.post("/v1/chat/completions", chat("Hello there"))
expect("no-cache request bypasses the cache", "bypass", {k.lower(): v for k, v in hdrs.items()}.get("x-deepgate-cache"))
expect("greedy is deterministic", greedy, again["choices"][0]["message"]["content"])

seeded = chat("Tell me a story", temperature=1.0, seed=1234)
a = api.post("/v1/chat/completions", seeded)[2]["choices"][0]["message"]["content"]
b = fresh.post("/v1/chat/completions", seeded)[2]["choices"][0]["message"]["content"]
expect("same seed same output", a, b)

status, _, r = api.post("/v1/chat/completions", chat("Hi", n=3, temperature=1.0, seed=7))
expect("n=3 choices", [0, 1, 2], [c["index"] for c in r["choices"]])

status, _, r = api.post("/v1/chat/completions", chat("Hi", logprobs=True, top_logprobs=2, max_tokens=4))
lp = r["choices"][0]["logprobs"]["content"]
expect("logprobs per token", r["usage"]["completion_tokens"], len(lp))
expect("top_logprobs count", True, all(len(t["top_logprobs"]) == 2 for t in lp))
expect("logprob < 0 (computed: the request asked for logprobs)", True, all(t["logprob"] < 0 for t in lp))

# Streamed: role chunk first, deltas, finish chunk, usage chunk, [DONE] last; the deltas
# concatenate to the non-streamed greedy answer.
status, events, done = api.stream("/v1/chat/completions",
                                  chat("Hello there", stream=True, stream_options={"include_usage": True}))
expect("stream 200", 200, status)
expect("[DONE] last", True, done and events[-1][1] == "[DONE]")
chunks = [e for _, e in events if e != "[DONE]"]
expect("first chunk has the role", "assistant", chunks[0]["choices"][0]["delta"].get("role"))
expect("chunk object", True, all(c["object"] == "chat.completion.chunk" for c in chunks))
text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
expect("stream text equals non-stream", greedy, text)
finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
expect("one finish chunk", 1, len(finishes))
expect("usage chunk last", True, chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0)

# Events arrive as they are generated, not all at the end. 1600 tokens: with the vector exp the tiny
# model made 400 in 25 ms, too short a run to tell flushing from buffering.
status, events, done = api.stream("/v1/chat/completions", chat("Count with me", stream=True, max_tokens=1600))
times = [t for t, _ in events]
expect("long stream completes", True, done)
# Flushed per event, the events arrive one by one while the model generates; buffered (a
# worker that does not flush, or nginx buffering the upstream) they arrive a few KiB at a time.
# On a fast CPU the tiny model generates a token every ~0.1 ms, so count both long pauses and
# arrivals: a pause of 50 us starts a new arrival (events read from one buffer come ~10 us apart).
gaps = sum(1 for i in range(1, len(times)) if times[i] > times[i - 1] + 0.0005)
arrivals = 1 + sum(1 for i in range(1, len(times)) if times[i] > times[i - 1] + 0.00005)
incremental = len(events) > 20 and times[-1] - times[1] > 0.02 and (gaps > 5 or arrivals > len(events) // 4)
print("  long stream: %d events over %.4f s, %d gaps > 0.5 ms, %d arrivals" %
      (len(events), times[-1] - times[1], gaps, arrivals))
expect("events arrive incrementally", True, incremental)

# 8 concurrent streams: all complete, each with the same text as alone (batching changes nothing).
prompts = ["Alpha %d says" % i for i in range(8)]
alone = [api.post("/v1/chat/completions", chat(p))[2]["choices"][0]["message"]["content"] for p in prompts]
results = [None] * 8


def run(i):
    st, ev, dn = api.stream("/v1/chat/completions", chat(prompts[i], stream=True))
    results[i] = (st, dn, "".join(e["choices"][0]["delta"].get("content", "") for _, e in ev
                                  if e != "[DONE]" and e["choices"]))


threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
expect("8 concurrent streams complete", [(200, True)] * 8, [(r[0], r[1]) for r in results])
expect("8 concurrent streams match unbatched", alone, [r[2] for r in results])

# Legacy completions: one prompt, and the batch form (one choice per prompt).
status, _, r = api.post("/v1/completions", {"model": model, "prompt": "Once upon", "max_tokens": 8, "temperature": 0})
expect("completions 200", 200, status)
expect("completions object", "text_completion", r["object"])
status, _, r = api.post("/v1/completions", {"model": model, "prompt": ["a", "b"], "max_tokens": 4, "logprobs": 1})
expect("completions batch choices", 2, len(r["choices"]))
expect("completions logprobs", True, len(r["choices"][0]["logprobs"]["tokens"]) > 0)
status, events, done = api.stream("/v1/completions", {"model": model, "prompt": "x", "max_tokens": 6, "stream": True})
expect("completions stream [DONE]", True, done)

# Bad requests: 400 with the parameter named.
for name, body, param in [
    ("temperature > 2", chat("x", temperature=3), "temperature"),
    ("negative max_tokens", chat("x", max_tokens=-5), "max_tokens"),
    ("max_tokens beyond context", chat("x", max_tokens=10 ** 6), "max_tokens"),
    ("prompt beyond context", chat("word " * 5000), "messages"),
    ("bad role", {"model": model, "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
]:
    status, _, r = api.post("/v1/chat/completions", body)
    expect(name + " 400", 400, status)
    expect(name + " param", param, (r or {}).get("error", {}).get("param"))

checks.finish()
