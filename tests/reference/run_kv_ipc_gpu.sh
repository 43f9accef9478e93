#!/usr/bin/env bash
# The GPU run of issue 18 item 4: KV transfer by CUDA IPC between two processes on one GPU, against gRPC and the
# shared-memory ring in the same run, in one device command, after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj --copy tests/reference
# there:
#   bash .device/bootstrap.sh bash tests/reference/run_kv_ipc_gpu.sh
# For each shape in PRESETS (default llama-3.1-8b,llama-3.2-1b; random weights, bf16), `cluster bench kv-transfer
# --model`: prefill engine in this process, decode engine in a second process, both on cuda:0, TOKENS-token prompts
# (default 2,048): per transport (gRPC inline, shared memory, CUDA IPC) the push after a finished prefill and the
# push streamed layer by layer while the prefill computes. Reported per transport: "ran as" (cuda_ipc when the IPC
# path ran; a fallback prints "CUDA IPC fallback: REASON"), push ms, push/pre (push ÷ prefill; goal ≤ 5 % for CUDA
# IPC on 8B), tail hid (1 − streamed tail ÷ push: the share hidden under prefill; goal ≥ 90 %), and the XXH64 of the
# KV the decode engine received for one fixed prompt through each transport ("kv identical across transports: yes"
# = bit-identical KV, so identical decode output).
# CHUNKS (default 1024,8192 KiB; 8 MiB = one layer of the 8B shape at 2,048 tokens) runs each shape once per chunk
# size: per-chunk costs (a gRPC frame, two stream synchronisations) dominate the IPC push at 1 MiB chunks. Each bench
# run loads both engines (8B: about 1–3 min); if a device call's 10 minutes are tight, run PRESETS=llama-3.1-8b and
# PRESETS=llama-3.2-1b (or one CHUNKS value) in separate calls (OUT files are named per preset and chunk size).
# Results in $OUT: kv-ipc-gpu-<presets>.log (everything) and kv-ipc-<presets>.md (the tables and verdict lines).
# A CPU smoke run, from a built checkout (CUDA IPC then falls back with reason no_cuda, and the hashes still match):
#   CLUSTER="dotnet src/Cli/bin/Debug/net10.0/cluster.dll" DEVICE=cpu PRESETS=tiny DTYPE=fp32 TOKENS=64 REPEAT=1 \
#     CHUNKS=1024 OUT=/tmp/out bash tests/reference/run_kv_ipc_gpu.sh
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
device=${DEVICE:-cuda}; presets=${PRESETS:-llama-3.1-8b,llama-3.2-1b}; dtype=${DTYPE:-bf16}
tokens=${TOKENS:-2048}; repeat=${REPEAT:-3}; chunks=${CHUNKS:-1024,8192}
tag=${presets//,/+}
exec > >(tee "$out/kv-ipc-gpu-$tag.log") 2>&1
step() { echo "=== $1 ($(date +%T))"; }
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version,pci.bus_id --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'
df -h /dev/shm | tail -1
summary="$out/kv-ipc-$tag.md"
echo "# KV transfer by CUDA IPC ($(date -u +%F), $device, $tokens-token prompts, median of $repeat)" > "$summary"
status=0
for preset in ${presets//,/ }; do
  step "make model $preset"
  model=/tmp/kv-ipc-model-$preset-$dtype
  [ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1
  for kib in ${chunks//,/ }; do
  step "bench kv-transfer $preset, $kib KiB chunks: engines on $device in two processes"
  log="$out/.bench-$preset-$kib.txt"
  timeout 500 $cluster bench kv-transfer --model "$model" --device "$device" --dtype "$dtype" --processes 2 --tokens "$tokens" --repeat "$repeat" --chunk-kib "$kib" > "$log" 2>&1
  rc=$?; cat "$log"
  { echo; echo "## $preset, $kib KiB chunks (exit $rc)"; echo '```';
    grep -E "^kv-transfer engine bench|^prefill alone|^transport |^gRPC|^shared memory|^CUDA IPC|^push:|^received KV|^kv identical|fallback" "$log";
    echo '```'; } >> "$summary"
  [ $rc -eq 0 ] || status=$rc
  grep -q "kv identical across transports: yes" "$log" || { echo "KV differs between transports (or the check did not run) for $preset, $kib KiB"; status=1; }
  if [ "$device" != cpu ] && ! grep -qE "^CUDA IPC +cuda_ipc " "$log"; then echo "CUDA IPC did not run for $preset, $kib KiB (see the fallback line)"; status=1; fi
  rm -f "$log"
  done
done
step "done (status $status)"
cat "$summary"
exit $status
