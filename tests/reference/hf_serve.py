#!/usr/bin/env python3
"""Hugging Face transformers' continuous batching on a `cluster bench serve` workload (same weights, same requests).

    python3 hf_serve.py --model DIR --workload W.json --out hf_serve.json

Requests are added to a ContinuousBatchingManager (the engine behind `generate_batch`) at their Poisson arrival
times, greedy, exactly max_tokens each (end-of-sequence disabled), streaming so that the first token is seen when it
is produced. TTFT = first streamed output - submission; TPOT = (finish - first) / (tokens - 1). Writes per-request
lists and totals as JSON for `cluster bench serve --hf-results`.
"""
import argparse, inspect, json, threading, time
import torch
import transformers
from transformers import GenerationConfig
from hf_common import load_hf


def run(manager, workload, tag):
    reqs = workload["requests"]
    submitted, first, finished, ntok, reported = {}, {}, {}, {}, {}
    t0 = time.perf_counter()

    def submit():
        for i, r in enumerate(reqs):
            wait = r["arrival"] - (time.perf_counter() - t0)
            if wait > 0:
                time.sleep(wait)  # the arrival process
            rid = f"{tag}{i}"
            submitted[rid] = time.perf_counter()
            manager.add_request(input_ids=r["prompt"], request_id=rid, max_new_tokens=r["max_tokens"], **extra)

    params = inspect.signature(manager.add_request).parameters
    extra = {k: v for k, v in (("streaming", True), ("eos_token_id", -1)) if k in params}

    feeder = threading.Thread(target=submit)
    feeder.start()
    deadline = time.perf_counter() + 240
    while len(finished) < len(reqs) and time.perf_counter() < deadline:
        out = manager.get_result(timeout=0.5)
        if out is None:
            continue
        now = time.perf_counter()
        if getattr(out, "error", None):
            raise RuntimeError(f"request {out.request_id} failed: {out.error}")
        if len(out.generated_tokens) > 0:
            first.setdefault(out.request_id, now)
        if out.is_finished() if hasattr(out, "is_finished") else str(getattr(out, "status", "")).endswith("FINISHED"):
            finished[out.request_id] = now
            # EOS is disabled, so every request generates exactly max_tokens; count what was reported too.
            ntok[out.request_id] = reqs[int(out.request_id[len(tag):])]["max_tokens"]
            reported[out.request_id] = len(out.generated_tokens)
    feeder.join()
    if len(finished) < len(reqs):
        raise RuntimeError(f"only {len(finished)} of {len(reqs)} requests finished within the deadline")
    end = max(finished.values())
    ttft = [1000 * (first[r] - submitted[r]) for r in finished]
    tpot = [1000 * (finished[r] - first[r]) / (ntok[r] - 1) for r in finished if ntok[r] > 1]
    short = sum(1 for r in finished if reported[r] != ntok[r])
    return dict(output_tokens=sum(ntok.values()), duration_s=end - t0, ttft_ms=ttft, tpot_ms=tpot, reported_length_mismatches=short, streaming="streaming" in extra)


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    workload = json.load(open(a.workload))
    model = load_hf(a.model, torch.bfloat16)
    max_new = max(r["max_tokens"] for r in workload["requests"])
    gc = GenerationConfig(max_new_tokens=max_new, do_sample=False, eos_token_id=None, pad_token_id=0)
    manager = model.init_continuous_batching(generation_config=gc)
    if hasattr(manager, "warmup"):
        try:
            manager.warmup()  # CUDA graph capture, as generate_batch does before its requests
        except Exception as e:  # noqa: BLE001 - the warm-up requests below still warm it
            print(f"HF warmup() failed, continuing: {e}", flush=True)
    manager.start()
    # Warm-up requests through the same manager, then the timed workload.
    run(manager, {"requests": [dict(arrival=0.0, prompt=r["prompt"][:64], max_tokens=8) for r in workload["requests"][:8]]}, "w")
    res = run(manager, workload, "r")
    manager.stop(block=True)
    res.update(workload=workload["name"], transformers=transformers.__version__, torch=torch.__version__)
    json.dump(res, open(a.out, "w"))
    print(f"HF {workload['name']}: {res['output_tokens'] / res['duration_s']:.0f} output tok/s over {res['duration_s']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
