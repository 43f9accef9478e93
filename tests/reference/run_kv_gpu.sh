#!/usr/bin/env bash
# The GPU run of issue 6 (KV transfer), in one device command, after
#   ../shared/device/pack.sh -o .device-kv --native src/Torch/Native --publish src/Cli/Cli.csproj
# there:  bash .device-kv/bootstrap.sh env DEVICE_DIR=.device-kv bash tests/reference/run_kv_gpu.sh
#         (GPU2=1 on a 2-GPU machine adds the cuda:0 → cuda:1 run; KV_QUICK=1 leaves out the synthetic pushes of step 2)
# 1. Bounds of the same run: pinned and pageable host↔device copies (PyTorch), loopback TCP (in the bench).
# 2. bench kv-transfer without a model: 256 MiB pushes through gRPC h2c and the /dev/shm ring vs raw TCP, 1 and 8 streams.
# 3. bench kv-transfer --model: random-weight Llama-3.1-8B (bf16, the real shape: 32 layers, 8 kv heads, head dim 128),
#    prefill engine in this process, decode engine in a second one, both on cuda:0; 2,048-token prompts (256 MiB of KV):
#    prefill then push vs push while prefill computes (layer-by-layer streaming), for gRPC and shared memory; before
#    that, the cache's own export/import through pinned staging (PagedKvStorage + HostStaging) and its bit-exactness.
set -uo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp/out}; mkdir -p "$out"
cluster="dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll"
step() { echo "=== $1 ($(date +%T))"; }
df -h /dev/shm | tail -1
python3 - <<'PY'
import torch, time
print("torch", torch.__version__, torch.cuda.get_device_name(), flush=True)
n = 256 << 20
for pinned in (True, False):
    h = torch.empty(n, dtype=torch.uint8, pin_memory=pinned); d = torch.empty(n, dtype=torch.uint8, device="cuda")
    best = [1e9, 1e9]
    for _ in range(5):
        torch.cuda.synchronize(); t = time.perf_counter(); d.copy_(h, non_blocking=pinned); torch.cuda.synchronize(); best[0] = min(best[0], time.perf_counter() - t)
        t = time.perf_counter(); h.copy_(d, non_blocking=pinned); torch.cuda.synchronize(); best[1] = min(best[1], time.perf_counter() - t)
    print(f"{'pinned' if pinned else 'pageable'} host->device {n/best[0]/1e9:.1f} GB/s, device->host {n/best[1]/1e9:.1f} GB/s (256 MiB, best of 5)")
PY
if [ "${KV_QUICK:-0}" != 1 ]; then
  step "synthetic pushes (host bytes): raw TCP vs gRPC vs shared memory"
  timeout 240 $cluster bench kv-transfer --repeat 3 2>&1 | tail -6
fi
step "make model"
$cluster make-model --preset llama-3.1-8b --out /tmp/llama-8b --dtype bf16 --seed 1 | tail -1
step "engines on cuda:0 in two processes"
timeout 400 $cluster bench kv-transfer --model /tmp/llama-8b --device cuda --dtype bf16 --processes 2 --tokens 2048 --repeat 3 2>&1 | tail -14
if [ "${GPU2:-0}" = 1 ]; then
  step "prefill engine on cuda:0, decode engine on cuda:1 (second process)"
  timeout 400 $cluster bench kv-transfer --model /tmp/llama-8b --device cuda:0 --decode-device cuda:1 --dtype bf16 --processes 2 --tokens 2048 --repeat 3 2>&1 | tail -12
fi
step "done"
