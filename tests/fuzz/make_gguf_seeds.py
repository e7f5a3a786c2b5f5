#!/usr/bin/env python3
"""Writes small GGUF seed files for the gguf_fuzz corpus (run from the repo root).

Our own minimal encoder of the GGUF layout: header, metadata of several value types,
tensor infos, aligned data. The seeds give the fuzzer valid structure to mutate."""
import os
import struct

OUT = "tests/fuzz/seeds/gguf_fuzz"


def s(x: str) -> bytes:
    b = x.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, payload):
    return s(key) + struct.pack("<I", vtype) + payload


def tensor(name, ne, ttype, offset):
    return s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", ttype, offset)


def gguf(version, kvs, tensors, data, align=32):
    head = struct.pack("<IIQQ", 0x46554747, version, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(tensors)
    head += b"\0" * (-len(head) % align)
    return head + data


def main():
    os.makedirs(OUT, exist_ok=True)
    kvs = [
        kv("general.architecture", 8, s("llama")),
        kv("llama.block_count", 4, struct.pack("<I", 2)),
        kv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
        kv("general.flag", 7, b"\x01"),
        kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 3) + s("a") + s("bc") + s("<s>")),
        kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<fff", 0.5, -1, 2)),
        kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, 3) + struct.pack("<iii", 1, 1, 3)),
        kv("nested", 9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 0, 2) + b"\x01\x02"),
        kv("big", 10, struct.pack("<Q", 1 << 40)),
        kv("neg", 11, struct.pack("<q", -5)),
        kv("dbl", 12, struct.pack("<d", 1.5)),
    ]
    f32 = b"".join(struct.pack("<f", i) for i in range(8))
    q8 = struct.pack("<e", 0.5) + bytes(range(32))  # one Q8_0 block
    q4k = bytes(144)  # one Q4_K block
    seeds = {
        "f32_two_tensors.gguf": gguf(3, kvs, [tensor("a", [4, 2], 0, 0), tensor("b", [8], 0, 32)], f32 + f32),
        "q8_0.gguf": gguf(3, kvs[:3], [tensor("w", [32, 1], 8, 0)], q8),
        "q4_k.gguf": gguf(3, kvs[:2], [tensor("w", [256], 12, 0)], q4k),
        "v2_metadata_only.gguf": gguf(2, kvs, [], b""),
        "align64.gguf": gguf(3, [kv("general.alignment", 4, struct.pack("<I", 64))], [tensor("t", [4], 0, 0)], f32[:16], 64),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name.replace(".gguf", ".bin")), "wb") as fh:
            fh.write(data)


if __name__ == "__main__":
    main()
