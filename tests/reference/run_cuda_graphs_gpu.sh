#!/usr/bin/env bash
# The GPU run of issue 18 item 1: CUDA graphs for the serving engine's decode-only steps, in one device command, after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj --copy tests/reference
# there:
#   bash .device/bootstrap.sh bash tests/reference/run_cuda_graphs_gpu.sh
# Random-weight Llama-3.2-1B shape (bf16), the in-process engine (`cluster bench serve`):
#   1. greedy check: the first CHECK (default 32) requests of a ShareGPT-like workload (each ≤ 64 output tokens, all
#      submitted at once, so the decode batch shrinks through several buckets) with graphs on, off and padded-eager
#      (`--graph-check`): on must equal padded-eager token for token and run from graphs (exit status 0), and the
#      line "on vs off" says whether greedy output is identical to eager;
#   2. decode speed: for each batch size in BATCHES (default 1,8,32,64,128), B requests arriving at once, PROMPT
#      (default 128) prompt tokens and exactly OUTPUT (default 256) output tokens each, so every decode step runs B
#      decodes; graphs off then on, same process image, same machine: output tok/s, TPOT p50/p90, and the ratio.
# Results in $OUT: cuda-graphs-gpu.log (everything), cuda-graphs.md (the table) and cuda-graphs.json (every run's summary).
# A CPU smoke run, from a built checkout (graphs fall back to eager off CUDA; the check then compares padded vs eager):
#   CLUSTER="dotnet src/Cli/bin/Debug/net10.0/cluster.dll" DEVICE=cpu PRESET=tiny DTYPE=fp32 VOCAB=250 CHECK=6 BATCHES=1,4 \
#     OUTPUT=16 PROMPT=8 OUT=/tmp/out bash tests/reference/run_cuda_graphs_gpu.sh
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
exec > >(tee "$out/cuda-graphs-gpu.log") 2>&1
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
device=${DEVICE:-cuda}; preset=${PRESET:-llama-3.2-1b}; dtype=${DTYPE:-bf16}; vocab=${VOCAB:-32000}
check=${CHECK:-32}; batches=${BATCHES:-1,8,32,64,128}; prompt=${PROMPT:-128}; output=${OUTPUT:-256}
work=$(mktemp -d /tmp/cuda-graphs.XXXX)
step() { echo "=== $1 ($(date +%T))"; }
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'

step "make model"
model=/tmp/cuda-graphs-model-$preset-$dtype
[ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1

step "1. greedy check: graphs on vs padded eager vs off"
$cluster bench serve --write-workload --workload "$work/check.json" --requests "$check" --rate 1000 --vocab "$vocab" --seed 1 | tail -1
timeout 240 $cluster bench serve --model "$model" --device "$device" --dtype "$dtype" --workload "$work/check.json" --graph-check "$check"
echo "graph check exit status $? (0: on equals padded eager and graphs ran)"

step "2. decode speed: graphs off vs on at batch sizes $batches"
IFS=, read -ra batch_list <<<"$batches"
for b in "${batch_list[@]}"; do
  python3 - "$work/b$b.json" "$b" "$prompt" "$output" "$vocab" <<'PY'
import json, random, sys
path, b, prompt, output, vocab = sys.argv[1], *map(int, sys.argv[2:])
rng = random.Random(b)
requests = [{"arrival": i * 1e-4, "prompt": [rng.randrange(3, vocab) for _ in range(prompt)], "max_tokens": output} for i in range(b)]
json.dump({"name": f"batch {b}", "rate": 1e4, "requests": requests}, open(path, "w"))
PY
  for mode in off on; do
    echo "--- batch $b, CUDA graphs $mode"
    timeout 150 $cluster bench serve --model "$model" --device "$device" --dtype "$dtype" --workload "$work/b$b.json" --cuda-graphs "$mode" \
      --json-out "$work/run-$b-$mode.json" 2>&1 | grep -E 'engine:|^\| cluster engine|^steps|rror|xception'
  done
done

step "summary"
python3 - "$work" "$out" "$batches" <<'PY'
import json, os, sys
work, out, batches = sys.argv[1], sys.argv[2], [int(b) for b in sys.argv[3].split(",")]
rows, runs = [], {}
for b in batches:
    got = {}
    for mode in ("off", "on"):
        path = os.path.join(work, f"run-{b}-{mode}.json")
        if os.path.exists(path):
            got[mode] = runs[f"{b}-{mode}"] = json.load(open(path))
    if len(got) < 2:
        rows.append(f"| {b} | missing run(s): {', '.join(m for m in ('off', 'on') if m not in got)} | | | | |")
        continue
    off, on = got["off"]["ours"], got["on"]["ours"]
    rows.append(f"| {b} | {off['output_tokens_per_s']:.0f} / {on['output_tokens_per_s']:.0f} | {on['output_tokens_per_s'] / off['output_tokens_per_s']:.2f}× "
                f"| {off['tpot_ms_p50']:.2f} / {on['tpot_ms_p50']:.2f} | {off['tpot_ms_p50'] / on['tpot_ms_p50']:.2f}× "
                f"| {got['on']['graph_steps']} graph, {got['on']['eager_decode_steps']} eager / {got['off']['eager_decode_steps']} eager |")
table = ["| batch | output tok/s off / on | on ÷ off | TPOT p50 ms off / on | off ÷ on | decode-only steps on / off |", "|---|---|---|---|---|---|", *rows]
print("\n".join(table))
open(os.path.join(out, "cuda-graphs.md"), "w").write("\n".join(table) + "\n")
json.dump(runs, open(os.path.join(out, "cuda-graphs.json"), "w"), indent=1)
PY
rm -rf "$work"
step "done: $(ls "$out" | tr '\n' ' ')"
