#!/usr/bin/env bash
# The GPU run of issue 5 (cluster bench serve), in one device command (after ../shared/device/pack.sh has filled .device):
#   bash .device/bootstrap.sh bash tests/reference/run_serve_gpu.sh
# Random-weight Llama-3.2-1B (bf16); two workloads (ShareGPT-like; shared system prompts), each through Hugging Face
# transformers' continuous batching (hf_serve.py) and then our engine, same weights and requests, one process at a time.
set -uo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp/out}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
cluster="dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll"
requests=${REQUESTS:-256}; rate=${RATE:-64}
step() { echo "=== $1 ($(date +%T))"; }
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.get_device_name())'
step "make models; greedy check of the engine on cuda (tiny fp32, then 1B bf16 below)"
$cluster make-model --preset tiny --out /tmp/tiny --dtype fp32 --seed 1234 | tail -1
$cluster make-model --preset llama-3.2-1b --out /tmp/llama-1b --dtype bf16 --seed 1 | tail -1
$cluster bench serve --write-workload --workload /tmp/w_tiny.json --requests 16 --rate 100 --vocab 256 --seed 3
$cluster bench serve --model /tmp/tiny --dtype fp32 --workload /tmp/w_tiny.json --kv-fraction 0.05 --check 16 --check-only 2>&1 | tail -3
$cluster bench serve --write-workload --workload "$out/w_sharegpt.json" --requests $requests --rate $rate --vocab 128000 --seed 1
$cluster bench serve --write-workload --workload "$out/w_prefix.json" --requests $requests --rate $rate --vocab 128000 --seed 2 --shared-prefix 1024 --prefixes 4
for w in sharegpt prefix; do
  step "$w: transformers"
  (cd "$here" && timeout 280 python3 hf_serve.py --model /tmp/llama-1b --workload "$out/w_$w.json" --out "$out/hf_$w.json") 2>&1 | grep -v Warning | tail -5
  step "$w: engine"
  check=""; [ $w = sharegpt ] && check="--check 16"
  timeout 200 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_$w.json" --hf-results "$out/hf_$w.json" --json-out "$out/serve_$w.json" $check 2>&1 | tail -12
done
rm -f "$out"/w_*.json
step "done"
