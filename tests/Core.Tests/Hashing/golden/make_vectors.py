#!/usr/bin/env python3
"""Writes block_hash_vectors.json: golden vectors for Cluster.Core's BlockHasher (ARCHITECTURE §5).

An implementation independent of ours: XXH64 comes from the reference C library (Debian libxxhash0)
through ctypes, the chaining follows the spec text. Run: python3 make_vectors.py > block_hash_vectors.json
"""
import ctypes
import json
import random
import struct

lib = ctypes.CDLL("libxxhash.so.0")
lib.XXH64.restype = ctypes.c_uint64
lib.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]


def xxh64(data: bytes) -> int:
    return lib.XXH64(data, len(data), 0)


def block_hashes(model: str, block_size: int, salt: str, tokens: list[int]) -> list[str]:
    parent = xxh64(f"cluster/v1|{model}|{block_size}|{salt}".encode("utf-8"))
    out = []
    for i in range(len(tokens) // block_size):
        block = tokens[i * block_size:(i + 1) * block_size]
        parent = xxh64(struct.pack("<Q", parent) + struct.pack(f"<{block_size}i", *block))
        out.append(f"{parent:016x}")
    return out


rng = random.Random(20261122)
cases = []
for model, block_size, salt, length in [
    ("tiny", 16, "", 0), ("tiny", 16, "", 15), ("tiny", 16, "", 16), ("tiny", 16, "", 47),
    ("meta-llama/Llama-3.2-1B", 16, "", 130), ("meta-llama/Llama-3.2-1B", 16, "tenant-a", 130),
    ("Qwen/Qwen2.5-0.5B", 32, "", 100), ("Qwen/Qwen2.5-0.5B", 1, "ü-salt", 5), ("m", 256, "", 600),
]:
    tokens = [rng.randrange(0, 152_000) for _ in range(length)]
    cases.append({"model": model, "blockSize": block_size, "cacheSalt": salt, "tokens": tokens,
                  "hashes": block_hashes(model, block_size, salt, tokens)})

xxh = []
for length in [0, 1, 3, 4, 7, 8, 15, 31, 32, 33, 63, 64, 100, 1000]:
    data = bytes(rng.randrange(256) for _ in range(length))
    xxh.append({"hex": data.hex(), "xxh64": f"{xxh64(data):016x}"})

print(json.dumps({"blockHashes": cases, "xxh64": xxh}, indent=1))
