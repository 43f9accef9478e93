#!/usr/bin/env bash
# The GPU run of the paged decode-attention kernel (issue 5), in one device command (after
# ../shared/device/pack.sh -o .device-pk --native src/Torch/Native --publish src/Cli/Cli.csproj has filled .device-pk):
#   DEVICE_DIR=.device-pk bash .device-pk/bootstrap.sh bash tests/reference/run_paged_kernel_gpu.sh
# (a) kernel vs the varlen path and a float32 reference on random paged data (1 … 4096 keys, GQA 1/4/8, bf16/fp16);
# (b) per-layer microbenchmark (batch 1/16/64/256 × context 512/2048) next to the copy-bandwidth bound;
#     (a) and (b) run twice: 1 and 2 keys in flight per lane group (CT_PAGED_KEYS_IN_FLIGHT, paged_attention.cu);
# (c) greedy checks (tiny fp32 falls back to varlen: the mode's plumbing; 1B bf16 both modes, near-ties expected), then `cluster bench serve` ShareGPT-like: varlen vs decode-kernel,
#     plain and with the step profile. Random-weight Llama-3.2-1B (bf16).
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
cluster="dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll"
requests=${REQUESTS:-256}; rate=${RATE:-64}
step() { echo "=== $1 ($(date +%T))"; }
nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv,noheader
for u in 1 2; do  # keys in flight per lane group (issue 18 item 2): the same checks and timings, same run
  step "(a) + (b): kernel check and per-layer timing, CT_PAGED_KEYS_IN_FLIGHT=$u"
  CT_PAGED_KEYS_IN_FLIGHT=$u timeout 240 $cluster bench serve --paged-kernel --device cuda 2>&1
done
step "make models; greedy checks with the decode kernel"
$cluster make-model --preset tiny --out /tmp/tiny --dtype fp32 --seed 1234 | tail -1
$cluster make-model --preset llama-3.2-1b --out /tmp/llama-1b --dtype bf16 --seed 1 | tail -1
$cluster bench serve --write-workload --workload /tmp/w_tiny.json --requests 16 --rate 100 --vocab 256 --seed 3
$cluster bench serve --write-workload --workload "$out/w_sharegpt.json" --requests $requests --rate $rate --vocab 128000 --seed 1
timeout 60 $cluster bench serve --model /tmp/tiny --dtype fp32 --workload /tmp/w_tiny.json --kv-fraction 0.05 --check 16 --check-only --attention decode-kernel 2>&1 | tail -1
for a in varlen decode-kernel; do  # bf16: near-ties on random weights make some disagreement expected (tests/reference/results/serve)
  timeout 120 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_sharegpt.json" --check 16 --check-only --attention $a 2>&1 | tail -1
done
step "(c) sharegpt: engine, --attention decode-kernel, CT_PAGED_KEYS_IN_FLIGHT=2"
CT_PAGED_KEYS_IN_FLIGHT=2 timeout 150 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_sharegpt.json" --attention decode-kernel --json-out "$out/serve_decode-kernel-u2.json" 2>&1 | tail -7
for a in varlen decode-kernel; do
  step "(c) sharegpt: engine, --attention $a"
  timeout 150 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_sharegpt.json" --attention $a --json-out "$out/serve_$a.json" 2>&1 | tail -7
  step "(c) sharegpt: engine, --attention $a, step profile"
  timeout 150 $cluster bench serve --model /tmp/llama-1b --workload "$out/w_sharegpt.json" --attention $a --profile --json-out "$out/profile_$a.json" 2>&1 | tail -1
done
rm -f "$out"/w_*.json
step "done"
