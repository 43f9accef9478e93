#!/usr/bin/env python3
"""Hugging Face transformers throughput on the shapes of `cluster bench engine` (bf16, sdpa, eager PyTorch).

    python3 hf_bench.py --model DIR --out hf.json [--prefill 1x2048,8x2048] [--decode 1,16,64]

prefill: forward over B random prompts of T tokens with the KV cache, logits of the last position only;
decode: after a --decode-prompt prefill, --decode-steps greedy steps, one forward per token with the cache.
"""
import argparse, json, time
import torch
import transformers
from hf_common import load_hf, forward


def timed(fn, iters, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(iters):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / iters


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefill", default="1x2048,8x2048")
    ap.add_argument("--decode", default="1,16,64")
    ap.add_argument("--decode-prompt", type=int, default=128)
    ap.add_argument("--decode-steps", type=int, default=128)
    a = ap.parse_args()
    model = load_hf(a.model, torch.bfloat16)
    vocab = model.config.vocab_size
    g = torch.Generator(device="cuda").manual_seed(0)
    res = {"prefill": {}, "decode": {}, "torch": torch.__version__, "transformers": transformers.__version__}
    for shape in a.prefill.split(","):
        b, t = map(int, shape.split("x"))
        ids = torch.randint(0, vocab, (b, t), device="cuda", generator=g)
        sec = timed(lambda: forward(model, ids, last_only=True), 5, 2)
        res["prefill"][shape] = b * t / sec
        print(f"HF prefill {shape}: {b * t / sec:.0f} tok/s", flush=True)
    for b in map(int, a.decode.split(",")):
        ids = torch.randint(0, vocab, (b, a.decode_prompt), device="cuda", generator=g)
        logits, past = forward(model, ids, last_only=True)
        nxt = logits[:, -1].argmax(-1)[:, None]
        for _ in range(2):  # warm-up steps
            logits, past = forward(model, nxt, past)
            nxt = logits[:, -1].argmax(-1)[:, None]
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        steps = a.decode_steps - 4
        for _ in range(steps):
            logits, past = forward(model, nxt, past)
            nxt = logits[:, -1].argmax(-1)[:, None]
        torch.cuda.synchronize()
        res["decode"][str(b)] = b * steps / (time.perf_counter() - t0)
        print(f"HF decode batch {b}: {res['decode'][str(b)]:.0f} tok/s", flush=True)
    json.dump(res, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
