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
    seeds.update(deepseek2_seeds())
    for name, data in seeds.items():
        with open(os.path.join(OUT, name.replace(".gguf", ".bin")), "wb") as fh:
            fh.write(data)


def deepseek2(u32_over=None, reshape=None, drop=None, truncate=0):
    """A tiny deepseek2 file (attn_kv_b layout, all F32): n_embd 16, 2 heads, kv_lora 8,
    nope 8, rope 4, v 8, 2 layers (layer 0 dense), 4 experts (2 used) of 8, 1 shared."""
    E, H, kvl, nope, rope, v, ff, ffe, nexp, vocab = 16, 2, 8, 8, 4, 8, 16, 8, 4, 8
    shapes = [("token_embd.weight", [E, vocab]), ("output_norm.weight", [E]), ("output.weight", [E, vocab])]
    for l in range(2):
        b = "blk.%d." % l
        shapes += [(b + "attn_norm.weight", [E]), (b + "attn_q.weight", [E, H * (nope + rope)]),
                   (b + "attn_kv_a_mqa.weight", [E, kvl + rope]), (b + "attn_kv_a_norm.weight", [kvl]),
                   (b + "attn_kv_b.weight", [kvl, H * (nope + v)]), (b + "attn_output.weight", [H * v, E]),
                   (b + "ffn_norm.weight", [E])]
        if l == 0:
            shapes += [(b + "ffn_gate.weight", [E, ff]), (b + "ffn_up.weight", [E, ff]), (b + "ffn_down.weight", [ff, E])]
        else:
            shapes += [(b + "ffn_gate_inp.weight", [E, nexp]), (b + "exp_probs_b.bias", [nexp]),
                       (b + "ffn_gate_exps.weight", [E, ffe, nexp]), (b + "ffn_up_exps.weight", [E, ffe, nexp]),
                       (b + "ffn_down_exps.weight", [ffe, E, nexp]), (b + "ffn_gate_shexp.weight", [E, ffe]),
                       (b + "ffn_up_shexp.weight", [E, ffe]), (b + "ffn_down_shexp.weight", [ffe, E])]
    u32 = {"block_count": 2, "context_length": 4096, "embedding_length": E, "feed_forward_length": ff,
           "attention.head_count": H, "attention.head_count_kv": H, "attention.key_length": nope + rope,
           "attention.value_length": v, "attention.kv_lora_rank": kvl, "rope.dimension_count": rope,
           "leading_dense_block_count": 1, "expert_count": nexp, "expert_used_count": 2, "expert_shared_count": 1,
           "expert_feed_forward_length": ffe, "expert_gating_func": 2}
    u32.update(u32_over or {})
    kvs = [kv("general.architecture", 8, s("deepseek2"))]
    kvs += [kv("deepseek2." + k, 4, struct.pack("<I", x)) for k, x in u32.items()]
    kvs += [kv("deepseek2.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-6)),
            kv("deepseek2.rope.scaling.type", 8, s("yarn")), kv("deepseek2.rope.scaling.factor", 6, struct.pack("<f", 40.0)),
            kv("deepseek2.rope.scaling.yarn_log_multiplier", 6, struct.pack("<f", 0.1)),
            kv("tokenizer.ggml.model", 8, s("llama")),
            kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, vocab) + b"".join(s("t%d" % i) for i in range(vocab))),
            kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, vocab) + struct.pack("<%df" % vocab, *range(vocab)))]
    infos, data = [], b""
    for name, ne in shapes:
        if name == drop:
            continue
        if name == reshape:
            ne = ne[:1] + [ne[1] + 1] + ne[2:]
        n = 1
        for d in ne:
            n *= d
        infos.append(tensor(name, ne, 0, len(data)))
        data += struct.pack("<%df" % n, *[((i * 37) % 17 - 8) * 0.01 for i in range(n)])
        data += b"\0" * (-len(data) % 32)
    out = gguf(3, kvs, infos, data)
    return out[:truncate] if truncate else out


def deepseek2_seeds():
    full = deepseek2()
    return {
        "deepseek2_valid.gguf": full,
        "deepseek2_expert_count_0.gguf": deepseek2({"expert_count": 0}),
        "deepseek2_used_over_count.gguf": deepseek2({"expert_used_count": 9}),
        "deepseek2_inconsistent_ranks.gguf": deepseek2({"attention.kv_lora_rank": 12}),
        "deepseek2_split_heads_mismatch.gguf": deepseek2({"attention.head_count_kv": 1}),
        "deepseek2_expert_shape.gguf": deepseek2(reshape="blk.1.ffn_down_exps.weight"),
        "deepseek2_missing_router.gguf": deepseek2(drop="blk.1.ffn_gate_inp.weight"),
        "deepseek2_truncated.gguf": deepseek2(truncate=len(full) - 64),
    }


if __name__ == "__main__":
    main()
