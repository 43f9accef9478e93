#!/usr/bin/env bash
# The GPU run of issue 3, in one device command (after ../shared/device/pack.sh has filled .device):
#   bash .device/bootstrap.sh bash tests/reference/run_gpu.sh [8b]
# Writes random-weight Llama-3.2-1B and Qwen2.5-0.5B shaped models, compares them with Hugging Face
# transformers (hf_compare.py), then benchmarks engine and transformers on the same weights and shapes.
set -uo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp/out}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
cluster="dotnet $(pwd)/.device/app/Cli/cluster.dll"
step() { echo "=== $1 ($(date +%T))"; }
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.get_device_name())'

step "tiny model on cuda vs the independent reference"
$cluster make-model --preset tiny --out /tmp/tiny --dtype fp32 --seed 1234 | tail -1
prompt=256,72,101,108,108,111,44,32,119,111,114,108,100
python3 "$here/llama_reference.py" /tmp/tiny --prompt $prompt --steps 24 | python3 -c 'import json,sys; print("reference", json.load(sys.stdin)["tokens"])'
$cluster generate --model /tmp/tiny --device cuda --dtype fp32 --prompt-ids $prompt --max-tokens 24 --ignore-eos --json | python3 -c 'import json,sys; print("engine   ", json.load(sys.stdin)["tokens"])'

step "make models"
$cluster make-model --preset llama-3.2-1b --out /tmp/llama-1b --dtype bf16 --seed 1 | tail -1
$cluster make-model --preset qwen2.5-0.5b --out /tmp/qwen-05b --dtype bf16 --seed 2 | tail -1

step "generate demo"
$cluster generate --model /tmp/llama-1b --device cuda --prompt "Hello, world" --max-tokens 32 2>&1 | tail -2

step "generate: CUDA-graph decode vs eager decode (same tokens)"
for flags in "" "--no-cuda-graphs"; do
  $cluster generate --model /tmp/llama-1b --device cuda --prompt-ids 256,1,2,3 --max-tokens 64 --ignore-eos --json $flags | python3 -c 'import json,sys; r=json.load(sys.stdin); print(sys.argv[1] or "graphs", "decode ms/token %.2f" % (r["decode_ms"]/63), "tokens", r["tokens"][:12], "...", r["tokens"][-4:])' "$flags"
  $cluster generate --model /tmp/llama-1b --device cuda --prompt-ids 256,1,2,3 --max-tokens 64 --ignore-eos --json --temperature 0.8 --top-p 0.9 --seed 5 $flags | python3 -c 'import json,sys; r=json.load(sys.stdin); print(sys.argv[1] or "graphs", "sampled", r["tokens"][:12], "...", r["tokens"][-4:])' "$flags"
done

if [ "${1:-}" != "bench-only" ]; then
  step "compare llama-3.2-1b"
  (cd "$here" && timeout 300 python3 hf_compare.py --cluster "$cluster" --model /tmp/llama-1b --out "$out/compare_llama1b.json") 2>&1 | tail -40
  step "compare qwen2.5-0.5b"
  (cd "$here" && timeout 300 python3 hf_compare.py --cluster "$cluster" --model /tmp/qwen-05b --out "$out/compare_qwen05b.json") 2>&1 | tail -40
fi

step "bench llama-3.2-1b: transformers"
(cd "$here" && timeout 300 python3 hf_bench.py --model /tmp/llama-1b --out "$out/hf_bench_1b.json") 2>&1 | tail -8
step "bench llama-3.2-1b: engine"
timeout 300 $cluster bench engine --model /tmp/llama-1b --hf-results "$out/hf_bench_1b.json" --json-out "$out/bench_1b.json" 2>&1

if [ "${1:-}" = "8b" ]; then
  step "8b"
  $cluster make-model --preset llama-3.1-8b --out /tmp/llama-8b --dtype bf16 --seed 3 | tail -1
  (cd "$here" && timeout 300 python3 hf_bench.py --model /tmp/llama-8b --out "$out/hf_bench_8b.json") 2>&1 | tail -8
  timeout 300 $cluster bench engine --model /tmp/llama-8b --hf-results "$out/hf_bench_8b.json" --json-out "$out/bench_8b.json" 2>&1
fi
step "done"
