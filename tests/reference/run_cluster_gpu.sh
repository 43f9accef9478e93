#!/usr/bin/env bash
# The GPU table of the disaggregation issue (cluster bench disagg), in one device command, after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj
#   bash tests/reference/fetch_redis_debs.sh          # redis-server as .deb files into .device-redis/ (for the processes mode)
# there (send .device and .device-redis along; both are git-ignored):
#   bash .device/bootstrap.sh bash tests/reference/run_cluster_gpu.sh
# Random-weight Llama-3.2-1B shape (bf16), router + 1 prefill + 1 decode worker on cuda:0, KvCache:NumBlocks=16000;
# streamed /v1/completions, 1,024-token prompts, 128 output tokens (ignore_eos), Poisson 4 and 16 req/s; colocated
# (Routing:MinDisaggregatedTokens=1000000) against disaggregated (every request: the threshold policy at 0) and auto
# (the router's default measured-cost decision; CONFIGS / PROCESS_CONFIGS choose), each on a fresh cluster, in one process and as child
# processes with Redis; a random workload and a shared-prefix one (4 groups × 768 shared tokens). SLO: TTFT <= 250 ms,
# TPOT <= 25 ms. Each (workload, mode) is one bench run bounded by `timeout` (RUN_TIMEOUT s, default 110), so the whole
# script takes about 8 minutes; REQUESTS (default "32,80": 32 requests at 4/s, 80 at 16/s) sets the measured requests
# per phase. Results in $OUT: cluster-gpu.log (this output), cluster-gpu.md (the tables and PASS/FAIL lines of the four
# runs), cluster-gpu.json (their rows). Without a working redis-server the processes mode is skipped and says so.
# CHECK=1 (default) then compares greedy outputs colocated vs disaggregated on the fp32 model (the CUDA import path).
# WORKLOADS (default "random shared-prefix") selects the loads, so the run can be split over two device commands.
# A CPU smoke run of this script (tiny model, short prompts), from a built checkout:
#   CLUSTER="dotnet src/Cli/bin/Release/net10.0/cluster.dll" DEVICE=cpu PRESET=tiny DTYPE=fp32 PROMPT_TOKENS=256 PREFIX_TOKENS=192 \
#     MAX_TOKENS=8 REQUESTS=6 RATES=4 OUT=/tmp/out bash tests/reference/run_cluster_gpu.sh
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
exec > >(tee "$out/cluster-gpu.log") 2>&1
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
requests=${REQUESTS:-32,80}; rates=${RATES:-4,16}; run_timeout=${RUN_TIMEOUT:-110}; debs=${REDIS_DEBS:-.device-redis}
device=${DEVICE:-cuda}; preset=${PRESET:-llama-3.2-1b}; dtype=${DTYPE:-bf16}
prompt=${PROMPT_TOKENS:-1024}; prefix=${PREFIX_TOKENS:-768}; max_tokens=${MAX_TOKENS:-128}
res=/tmp/cluster-gpu-results; rm -rf "$res" /tmp/cluster-gpu-logs; mkdir -p "$res"
step() { echo "=== $1 ($(date +%T))"; }
quiet() { grep -v 'Auth:ClusterToken is empty'; }
nvidia-smi --query-gpu=name,memory.used,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'

step "redis-server from $debs (for the processes mode)"
modes=one-process
. "$(dirname "$0")/gpu_redis.sh"
if gpu_redis "$debs"; then
  modes=one-process,processes
  echo "REDIS: OK ($REDIS_SERVER started and accepted connections): running both modes"
fi
[ "$modes" = one-process ] && echo "REDIS: NOT AVAILABLE (no $debs/redis-server_*.deb, no dpkg, or it did not start): the processes mode is SKIPPED, one-process only"

step "make model"
model=/tmp/cluster-gpu-model-$preset-$dtype
[ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1

# RUNS: "workload:mode[:configs]" items in the order to run (default every workload × every available mode).
runs=${RUNS:-}
if [ -z "$runs" ]; then
  for workload in ${WORKLOADS:-random shared-prefix}; do for mode in ${modes//,/ }; do runs="$runs $workload:$mode"; done; done
fi
for run in $runs; do
  IFS=: read -r workload mode run_configs <<<"$run"
  if [ "$mode" = processes ] && [ "$modes" = one-process ]; then echo "=== $workload / processes: SKIPPED (no redis-server)"; continue; fi
  default_configs=$([ "$mode" = processes ] && echo "${PROCESS_CONFIGS:-colocated,disaggregated}" || echo "${CONFIGS:-colocated,disaggregated,auto}")
  {
    step "$workload / $mode"
    timeout "$run_timeout" $cluster bench disagg --model "$model" --device "$device" --set KvCache:NumBlocks=16000 --modes "$mode" \
      --configs "${run_configs:-$default_configs}" --rates "$rates" --requests "$requests" --prompt-tokens "$prompt" --max-tokens "$max_tokens" --warmup 2 \
      --workload "$workload" --groups 4 --prefix-tokens "$prefix" --ttft-slo-ms 250 --tpot-slo-ms 25 --timeout 30 \
      --log-dir "/tmp/cluster-gpu-logs/$workload" --out "$res/$workload-$mode" 2>&1 | quiet
    echo "exit status ${PIPESTATUS[0]} (124: cut by the $run_timeout s timeout; the phases finished before it are kept)"
  }
done

if [ "${CHECK:-1}" = 1 ]; then
  # The import path on CUDA (written on its own stream while decode steps run) against local prefill: greedy outputs of
  # the same requests, colocated vs disaggregated, in fp32 (bf16 near-ties on random weights flip between batch shapes).
  step "greedy check: fp32, shared-prefix, colocated vs disaggregated outputs"
  model32=/tmp/cluster-gpu-model-$preset-fp32
  [ -f "$model32/config.json" ] || $cluster make-model --preset "$preset" --out "$model32" --dtype fp32 --seed 1 | tail -1
  timeout "${CHECK_TIMEOUT:-150}" $cluster bench disagg --model "$model32" --device "$device" --set Worker:DType=fp32 --set KvCache:NumBlocks=6000 \
    --modes one-process --configs colocated,disaggregated --rates 4 --requests 24 --prompt-tokens "$prompt" --max-tokens 32 --warmup 1 \
    --workload shared-prefix --groups 4 --prefix-tokens "$prefix" --ttft-slo-ms 1000 --tpot-slo-ms 100 --timeout 60 --out "$res/check-fp32" 2>&1 | quiet | tail -8
fi

if [ -d /tmp/cluster-gpu-logs ]; then
  step "errors and warnings in the processes-mode roles' logs (last 40)"
  grep -rhiE 'fail|error|exception|warn' /tmp/cluster-gpu-logs | grep -v 'Auth:ClusterToken is empty' | tail -40
fi
for f in "$res"/*.md; do [ -f "$f" ] && { cat "$f"; echo; }; done > "$out/cluster-gpu.md"
python3 - "$res" "$out/cluster-gpu.json" <<'PY'
import json, pathlib, sys
runs = {p.stem: json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json"))}
pathlib.Path(sys.argv[2]).write_text(json.dumps(runs, indent=1))
PY
step "done: $(ls "$out" | tr '\n' ' ')"
