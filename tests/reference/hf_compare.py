#!/usr/bin/env python3
"""Hugging Face transformers vs our engine (cluster generate) on the same weights, on a GPU.

    python3 hf_compare.py --cluster "dotnet .device/app/Cli/cluster.dll" --model DIR --out result.json

fp32: greedy tokens for --steps steps must be equal; logits of every position compared (teacher forcing).
bf16: top-1 agreement and logit differences over the positions of prompt + the fp32 greedy tokens,
next to the same figures for transformers bf16 vs transformers fp32 (how much bf16 alone moves).
"""
import argparse, json, os, random, shlex, subprocess, sys, tempfile
import numpy as np
import torch
from hf_common import load_hf, greedy, all_logits


def ours(cluster, model, ids, dtype, steps, logits_file=None):
    cmd = shlex.split(cluster) + ["generate", "--model", model, "--device", "cuda", "--dtype", dtype,
                                  "--prompt-ids", ",".join(map(str, ids)), "--max-tokens", str(steps), "--ignore-eos", "--json"]
    if logits_file:
        cmd += ["--logits-out", logits_file]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def our_logits(cluster, model, seq, dtype, vocab):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "logits.bin")
        ours(cluster, model, seq, dtype, 1, f)
        return torch.from_numpy(np.fromfile(f, dtype=np.float32).reshape(len(seq), vocab)).cuda()


def stats(a, b):
    diff = (a - b).abs()
    return {"top1_agreement": float((a.argmax(-1) == b.argmax(-1)).float().mean()),
            "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
            "logit_std": float(b.std())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(0)
    prompt = [256] + [rng.randrange(32, 127) for _ in range(a.prompt_len - 1)]
    result = {"model": a.model, "prompt_len": len(prompt), "steps": a.steps}

    hf32 = load_hf(a.model, torch.float32)
    vocab = hf32.config.vocab_size
    result["hf_class"] = type(hf32).__name__
    hf_tokens = greedy(hf32, prompt, a.steps)
    mine = ours(a.cluster, a.model, prompt, "fp32", a.steps)["tokens"]
    same = next((i for i, (x, y) in enumerate(zip(hf_tokens, mine)) if x != y), min(len(hf_tokens), len(mine)))
    result["fp32_greedy"] = {"equal_prefix": same, "all_equal": hf_tokens == mine, "hf": hf_tokens, "ours": mine}
    seq = prompt + hf_tokens
    ref32 = all_logits(hf32, seq)
    del hf32
    torch.cuda.empty_cache()
    result["fp32_logits"] = stats(our_logits(a.cluster, a.model, seq, "fp32", vocab), ref32)

    hf16 = load_hf(a.model, torch.bfloat16)
    hf_bf16 = all_logits(hf16, seq)
    hf_bf16_tokens = greedy(hf16, prompt, a.steps)
    del hf16
    torch.cuda.empty_cache()
    mine16 = our_logits(a.cluster, a.model, seq, "bf16", vocab)
    mine16_tokens = ours(a.cluster, a.model, prompt, "bf16", a.steps)["tokens"]
    result["bf16_logits_vs_hf_bf16"] = stats(mine16, hf_bf16)
    result["bf16_logits_ours_vs_hf_fp32"] = stats(mine16, ref32)
    result["bf16_logits_hf_bf16_vs_hf_fp32"] = stats(hf_bf16, ref32)
    same16 = next((i for i, (x, y) in enumerate(zip(hf_bf16_tokens, mine16_tokens)) if x != y), a.steps)
    result["bf16_greedy_equal_prefix"] = same16
    json.dump(result, open(a.out, "w"), indent=1)
    short = {k: v for k, v in result.items() if k != "fp32_greedy"}
    short["fp32_greedy"] = {k: v for k, v in result["fp32_greedy"].items() if k in ("equal_prefix", "all_equal")}
    print(json.dumps(short, indent=1))


if __name__ == "__main__":
    sys.exit(main())
