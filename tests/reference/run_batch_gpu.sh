#!/usr/bin/env bash
# The Batch API on the GPU (issue 20): `cluster bench batch --device cuda` at the issue's size, in one device command,
# after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj
# there:
#   bash .device/bootstrap.sh bash tests/reference/run_batch_gpu.sh
# Random-weight PRESET (default Llama-3.2-1B shape, bf16); REQUESTS (2,000) requests over SYSTEMS (16) system prompts of
# SYSTEM_TOKENS (1,000) tokens in random order, 16 output tokens, CONCURRENCY (32) in flight; 2 prefill + 2 decode
# workers on the one GPU, prefill KvCache:NumBlocks BLOCKS (default: 6 of the 16 prefixes per prefill worker, so the
# pool cannot keep them all and order matters). Three arms, each on a fresh cluster: online API in file order, batch in
# file order, prefix-grouped batch; then online probes' p99 TTFT alone and during a second prefix-grouped batch.
# Goals (issue 20): prefix-grouped ≥ 2× online file order's throughput; probes' p99 TTFT during a batch ≤ 1.2× alone.
# Results in $OUT: batch-gpu.log, batch-<preset>.md/.json.
# A CPU smoke run, from a built checkout:
#   CLUSTER="dotnet src/Cli/bin/Debug/net10.0/cluster.dll" DEVICE=cpu PRESET=tiny DTYPE=fp32 REQUESTS=24 SYSTEMS=4 \
#     SYSTEM_TOKENS=64 CONCURRENCY=4 PROBES=4 OUT=/tmp/out bash tests/reference/run_batch_gpu.sh
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
exec > >(tee "$out/batch-gpu.log") 2>&1
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
device=${DEVICE:-cuda}; dtype=${DTYPE:-bf16}; preset=${PRESET:-llama-3.2-1b}
requests=${REQUESTS:-2000}; systems=${SYSTEMS:-16}; system_tokens=${SYSTEM_TOKENS:-1000}
blocks=${BLOCKS:-$(( (system_tokens + 63 + 15) / 16 * 6 ))}
step() { echo "=== $1 ($(date +%T))"; }
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'
step "make model $preset"
model=/tmp/batch-model-$preset-$dtype
[ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1
step "bench batch: $requests requests over $systems x $system_tokens-token prompts, ${CONCURRENCY:-32} in flight, prefill KvCache:NumBlocks $blocks"
timeout "${BATCH_TIMEOUT:-400}" $cluster bench batch --model "$model" --device "$device" --requests "$requests" --system-prompts "$systems" \
  --system-tokens "$system_tokens" --max-tokens 16 --concurrency "${CONCURRENCY:-32}" --probes "${PROBES:-40}" --prefill 2 --decode 2 \
  --prefill-kv-blocks "$blocks" --out "$out/batch-$preset" 2>&1 | grep -v 'Auth:ClusterToken is empty' | tail -16
echo "exit status ${PIPESTATUS[0]}"
if [ -n "${LOW_CAP:-512}" ] && [ "${LOW_CAP:-512}" != 0 ]; then  # the same, batch prefill limited per step (Engine:LowPriorityPrefillTokens)
  step "bench batch again with Engine:LowPriorityPrefillTokens=${LOW_CAP:-512}"
  Engine__LowPriorityPrefillTokens=${LOW_CAP:-512} timeout "${BATCH_TIMEOUT:-400}" $cluster bench batch --model "$model" --device "$device" --requests "$requests" \
    --system-prompts "$systems" --system-tokens "$system_tokens" --max-tokens 16 --concurrency "${CONCURRENCY:-32}" --probes "${PROBES:-40}" \
    --prefill 2 --decode 2 --prefill-kv-blocks "$blocks" --out "$out/batch-$preset-lowcap" 2>&1 | grep -v 'Auth:ClusterToken is empty' | tail -16
  echo "exit status ${PIPESTATUS[0]}"
fi
step "done: $(ls "$out" | tr '\n' ' ')"
