#!/usr/bin/env bash
# The GPU run of issue 5 (cluster bench serve), in one device command (after ../shared/device/pack.sh has filled .device):
#   bash .device/bootstrap.sh bash tests/reference/run_serve_gpu.sh
# Random-weight Llama-3.2-1B (bf16); two workloads (ShareGPT-like; shared system prompts), each through Hugging Face
# transformers' continuous batching (hf_serve.py) and then our engine, same weights and requests, one process at a time.
# Also: greedy checks (tiny fp32, 1B bf16 with the varlen kernel checked against its per-chunk reference, 1B fp32 as the
# diagnosis of bf16 disagreements) and per-phase step profiles of the engine (--profile: the device is synchronised after
# each phase), for the default attention (decode kernel + varlen since the paged-kernel run; varlen before) and for the
# first, padded implementation (PROFILE_PADDED=0 skips the latter). The kernel's own checks: run_paged_kernel_gpu.sh.
set -uo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp/out}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
cluster="dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll"
requests=${REQUESTS:-256}; rate=${RATE:-64}; hf=${HF:-1}
step() { echo "=== $1 ($(date +%T))"; }
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__, torch.cuda.get_device_name())'
step "make models; greedy checks of the engine on cuda"
$cluster make-model --preset tiny --out /tmp/tiny --dtype fp32 --seed 1234 | tail -1
$cluster make-model --preset llama-3.2-1b --out /tmp/llama-1b --dtype bf16 --seed 1 | tail -1
$cluster bench serve --write-workload --workload /tmp/w_tiny.json --requests 16 --rate 100 --vocab 256 --seed 3
$cluster bench serve --model /tmp/tiny --dtype fp32 --workload /tmp/w_tiny.json --kv-fraction 0.05 --check 16 --check-only 2>&1 | tail -3
$cluster bench serve --write-workload --workload "$out/w_sharegpt.json" --requests $requests --rate $rate --vocab 128000 --seed 1
$cluster bench serve --write-workload --workload "$out/w_prefix.json" --requests $requests --rate $rate --vocab 128000 --seed 2 --shared-prefix 1024 --prefixes 4
timeout 120 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_sharegpt.json" --check 16 --check-only 2>&1 | tail -3
timeout 120 $cluster bench serve --model /tmp/llama-1b --dtype fp32 --kv-fraction 0.2 --workload "$out/w_sharegpt.json" --check 16 --check-only 2>&1 | tail -3
for w in sharegpt prefix; do
  if [ "$hf" = 1 ]; then
    step "$w: transformers"
    (cd "$here" && timeout 280 python3 hf_serve.py --model /tmp/llama-1b --workload "$out/w_$w.json" --out "$out/hf_$w.json") 2>&1 | grep -v Warning | tail -5
  fi
  step "$w: engine"
  timeout 200 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_$w.json" --hf-results "$out/hf_$w.json" --json-out "$out/serve_$w.json" 2>&1 | tail -12
  step "$w: engine, step profile"
  timeout 200 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_$w.json" --profile --json-out "$out/profile_$w.json" 2>&1 | tail -1
  if [ "${PROFILE_PADDED:-1}" = 1 ] && [ $w = sharegpt ]; then
    step "$w: engine, padded attention (the first implementation), step profile"
    timeout 200 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_$w.json" --profile --attention padded --json-out "$out/profile_padded_$w.json" 2>&1 | tail -8
  fi
done
rm -f "$out"/w_*.json
step "done"
