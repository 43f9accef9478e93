#!/usr/bin/env bash
# Prefix-aware prefill routing where it matters (issue 17), and the router's decision latency on a quiet many-core
# machine (issue 14), in one device command, after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj
#   bash tests/reference/fetch_redis_debs.sh          # redis-server as .deb files into .device-redis/
# there (send .device and .device-redis along; both are git-ignored):
#   bash .device/bootstrap.sh bash tests/reference/run_prefix_routing_gpu.sh
# 1. `cluster bench cluster-ttft --device cuda`: 2 prefill + 1 decode workers on the one GPU, every request
#    disaggregated, SYSTEMS shared prefixes of SYSTEM_TOKENS tokens (together more than one prefill worker's
#    KvCache:NumBlocks holds, less than the two hold), cache-aware against round-robin prefill routing on fresh clusters,
#    same arrivals; for each PRESETS model (random weights, bf16). TTFT mean/p50/p99, attainment and goodput at
#    TTFT <= SLO_MS. Then cache-aware once more with Engine:AdmissionBypassLimit=0 (strict arrival-order admission, as
#    before the bounded bypass), same arrivals: what the bypass is worth.
# 2. `cluster bench router-decision` (1,000 prompts x 8 workers in the Redis index) with 2 router-tier silos and
#    without the tier, when redis-server runs here.
# Results in $OUT: prefix-routing-gpu.log (this output), cluster-ttft-<preset>.md/.json, router-decision.txt.
# A CPU smoke run, from a built checkout:
#   CLUSTER="dotnet src/Cli/bin/Debug/net10.0/cluster.dll" DEVICE=cpu PRESETS=tiny DTYPE=fp32 SYSTEM_TOKENS=256 \
#     BLOCKS=80 REQUESTS=16 RATE=8 DECISIONS=200 OUT=/tmp/out bash tests/reference/run_prefix_routing_gpu.sh
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
exec > >(tee "$out/prefix-routing-gpu.log") 2>&1
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
device=${DEVICE:-cuda}; dtype=${DTYPE:-bf16}; presets=${PRESETS:-llama-3.1-8b llama-3.2-1b}
systems=${SYSTEMS:-8}; system_tokens=${SYSTEM_TOKENS:-3072}; requests=${REQUESTS:-160}; slo=${SLO_MS:-250}
step() { echo "=== $1 ($(date +%T))"; }
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'

for preset in $presets; do
  # Block 16: one prefill worker holds 5 of 8 prefixes (plus room for the suffixes in flight), the two together all 8.
  blocks=${BLOCKS:-$(( system_tokens * 5 / 16 + 200 ))}
  case $preset in llama-3.1-8b) rate=${RATE:-8} ;; *) rate=${RATE:-32} ;; esac
  step "make model $preset"
  model=/tmp/prefix-routing-model-$preset-$dtype
  [ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1
  step "1. cluster-ttft $preset: $systems x $system_tokens-token prefixes, $requests requests at $rate/s, prefill KvCache:NumBlocks $blocks"
  timeout "${TTFT_TIMEOUT:-220}" $cluster bench cluster-ttft --model "$model" --device "$device" --system-prompts "$systems" \
    --system-tokens "$system_tokens" --requests "$requests" --rate "$rate" --max-tokens 16 --prefill-kv-blocks "$blocks" \
    --ttft-slo "$slo" --out "$out/cluster-ttft-$preset" 2>&1 | grep -v 'Auth:ClusterToken is empty' | tail -12
  echo "exit status ${PIPESTATUS[0]}"
  if [ "${STRICT:-1}" = 1 ]; then
    step "1b. cluster-ttft $preset, cache-aware with strict arrival-order admission (Engine:AdmissionBypassLimit=0)"
    timeout "${TTFT_TIMEOUT:-220}" $cluster bench cluster-ttft --model "$model" --device "$device" --system-prompts "$systems" \
      --system-tokens "$system_tokens" --requests "$requests" --rate "$rate" --max-tokens 16 --prefill-kv-blocks "$blocks" \
      --ttft-slo "$slo" --policies cache-aware --set Engine:AdmissionBypassLimit=0 --out "$out/cluster-ttft-$preset-strict" 2>&1 \
      | grep -v 'Auth:ClusterToken is empty' | tail -8
    echo "exit status ${PIPESTATUS[0]}"
  fi
done
[ "${ROUTER_DECISION:-1}" = 1 ] || { step "done: $(ls "$out" | tr '\n' ' ')"; exit 0; }

step "2. router-decision on this machine ($(nproc) cores)"
. "$(dirname "$0")/gpu_redis.sh"
if gpu_redis "${REDIS_DEBS:-.device-redis}"; then
  for silos in 2 0; do
    timeout 150 $cluster bench router-decision --silos "$silos" --decisions "${DECISIONS:-10000}" 2>&1 | tail -27 | tee -a "$out/router-decision.txt"
  done
else
  echo "REDIS: NOT AVAILABLE: router-decision skipped"
fi
step "done: $(ls "$out" | tr '\n' ' ')"
