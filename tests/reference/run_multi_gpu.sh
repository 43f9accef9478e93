#!/usr/bin/env bash
# The GPU run of issue 19 (several GPUs of one host): xPyD disaggregation against colocated replicas behind the same
# router, on the same trace, and the KV push GPU to GPU by CUDA IPC against the gRPC fallback, in one device command
# on nvidia-h100-x2/x4 (or h200), after, here:
#   ../shared/device/pack.sh --native src/Torch/Native --publish src/Cli/Cli.csproj --copy tests/reference
#   bash tests/reference/fetch_redis_debs.sh          # redis-server as .deb files into .device-redis/ (processes mode)
# there (send .device and .device-redis along; both are git-ignored):
#   bash .device/bootstrap.sh bash tests/reference/run_multi_gpu.sh
# GPUS (default: nvidia-smi's count) picks the comparison; SYSTEMS overrides it (names below):
#   GPUS=2: colocated2 (--prefill 0 --decode 2 --decode-devices cuda:0,cuda:1), 1p1d (--prefill-devices cuda:0
#           --decode-devices cuda:1, every request disaggregated: threshold policy at 0), 1p1d-cond (the same placement,
#           the router's conditional disaggregation decides per request);
#   GPUS=4: colocated4 against 1p3d, 2p2d, 3p1d (prefill workers on the first GPUs, decode workers on the rest), each
#           forced and -cond;
#   GPUS=1: a dry run: colocated2 and 1p1d with both workers on cuda:0 (KvCache:DeviceShare 0.5 each), two processes.
# A system "XpYd" places worker i (prefill first) on cuda:(i mod GPUS); "colocatedN" is N decode workers; "-cond"
# leaves the router's disaggregation default on. Each system is a fresh `cluster up` with Redis and one process per role
# (CUDA IPC needs two processes; without a working redis-server it runs in one process and says so: the KV then goes by
# the shared-memory ring), driven from outside by `cluster bench serve --endpoint` (streamed /v1/completions): the
# trace (TRACE, default tests/reference/traces/sharegpt.jsonl; "generated" = the bench's own ShareGPT-like trace of
# REQUESTS requests), REQUESTS (default 64) per rate, Poisson at each of RATES (default 4,8,16,32,64), goodput and
# attainment at TIGHT_SLO (default 250:25) and LOOSE_SLO (default 1000:100) TTFT_MS:TPOT_MS. After each sweep: the
# router's routing decisions by reason and each worker's KV transfers by transport and CUDA IPC fallbacks by reason
# (from /metrics). Then a summary: each system's best goodput and its ratio to the colocated baseline per SLO (goal on
# 2 GPUs: 1P1D >= 1.5x colocated at the tight SLO).
# KV=1 (default; with DEVICE=cpu only when given: a dry run on cpu/cpu) then runs `cluster bench kv-transfer --model` for KV_PRESETS (default
# llama-3.1-8b; random weights) with KV_TOKENS-token prompts (default 2,048) and KV_CHUNK_KIB (default 8192): prefill
# engine on cuda:0, decode engine in a second process on cuda:1 (GPU to GPU; CUDA IPC against gRPC inline and the
# shared-memory ring, same run), and on cuda:0 too (the same-GPU reference). GPUS=1 runs the same-GPU row only.
# Results in $OUT: multi-gpu.log (everything), multi-gpu.md / .svg (the sweep table and plot, all systems),
# multi-gpu.json (the last report: every system's rows), multi-gpu-summary.md, kv-gpu-to-gpu.md.
# Bounds: BENCH_TIMEOUT (default 300 s) per system's sweep, READY_S (default 240 s) per start; `cluster up` itself
# waits 120 s for its roles. About 3-5 min per system with the 1B shape: split SYSTEMS over device calls if needed
# (the tables of a call hold its systems only; INCLUDE=path.json adds an earlier call's report).
# A CPU dry run of the cluster parts, from a built checkout (Debug build of src/Cli: the hosts are found in src/*/bin):
#   CLUSTER="dotnet src/Cli/bin/Debug/net10.0/cluster.dll" DEVICE=cpu GPUS=2 PRESET=tiny DTYPE=fp32 REQUESTS=6 RATES=2 \
#     TOKEN_IDS=3:250 KV=0 OUT=/tmp/out bash tests/reference/run_multi_gpu.sh
# and of the KV part alone: ... DEVICE=cpu SYSTEMS=none KV=1 KV_PRESETS=tiny DTYPE=fp32 KV_TOKENS=64 KV_REPEAT=1 KV_CHUNK_KIB=1024
set -uo pipefail
export PYTHONUNBUFFERED=1
out=${OUT:-/tmp/out}; mkdir -p "$out"
exec > >(tee "$out/multi-gpu.log") 2>&1
here=$(cd "$(dirname "$0")" && pwd)
cluster=${CLUSTER:-dotnet $(pwd)/${DEVICE_DIR:-.device}/app/Cli/cluster.dll}
device=${DEVICE:-cuda}; preset=${PRESET:-llama-3.2-1b}; dtype=${DTYPE:-bf16}
requests=${REQUESTS:-64}; rates=${RATES:-4,8,16,32,64}; token_ids=${TOKEN_IDS:-3:32000}
tight=${TIGHT_SLO:-250:25}; loose=${LOOSE_SLO:-1000:100}
trace=${TRACE:-$here/traces/sharegpt.jsonl}; port=${PORT:-18080}
if [ "$trace" = generated ]; then trace_args=(--trace-kind sharegpt); else trace_args=(--trace "$trace"); fi
step() { echo "=== $1 ($(date +%T))"; }
gpus=${GPUS:-$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')}
[ "${gpus:-0}" -ge 1 ] 2>/dev/null || gpus=1
case $gpus in
  1) default_systems="colocated2 1p1d" ;;
  2) default_systems="colocated2 1p1d 1p1d-cond" ;;
  4) default_systems="colocated4 1p3d 2p2d 3p1d 1p3d-cond 2p2d-cond 3p1d-cond" ;;
  *) default_systems= ;;
esac
systems=${SYSTEMS:-$default_systems}
[ -n "$systems" ] || { echo "GPUS=$gpus: no default comparison (1, 2 or 4); give SYSTEMS, e.g. SYSTEMS=\"colocated3 1p2d\""; exit 2; }
nvidia-smi --query-gpu=index,name,memory.used,memory.total,pci.bus_id --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi'
nvidia-smi topo -m 2>/dev/null | head -12
echo "GPUS=$gpus DEVICE=$device systems: $systems; $requests requests per rate at $rates req/s; SLOs $tight (tight) and $loose (loose)"

step "redis-server (processes mode: one process per role, so CUDA IPC can run between them)"
up_mode=(--redis)
. "$here/gpu_redis.sh"
if gpu_redis "${REDIS_DEBS:-.device-redis}"; then
  echo "REDIS: OK ($REDIS_SERVER): each system runs as processes"
elif command -v redis-server >/dev/null; then
  echo "REDIS: redis-server from PATH: each system runs as processes"
else
  up_mode=()
  echo "REDIS: NOT AVAILABLE: each system runs in ONE process (KV by the shared-memory ring, not CUDA IPC; GPU to GPU IPC is measured by the kv-transfer bench below)"
fi

step "make model"
model=/tmp/multi-gpu-model-$preset-$dtype
[ -f "$model/config.json" ] || $cluster make-model --preset "$preset" --out "$model" --dtype "$dtype" --seed 1 | tail -1

dev() { if [ "$device" = cpu ]; then echo cpu; else echo "cuda:$(( $1 % gpus ))"; fi; }
# cluster up options of a system name (colocatedN, XpYd, with an optional -cond), one per line.
placement() {
  local name=${1%-cond} p d i list
  case $name in
    colocated[0-9]*) p=0; d=${name#colocated} ;;
    [0-9]*p[0-9]*d) p=${name%%p*}; d=${name#*p}; d=${d%d} ;;
    *) return 1 ;;
  esac
  [[ $p =~ ^[0-9]+$ && $d =~ ^[0-9]+$ && $d -ge 1 ]] || return 1
  printf '%s\n' --prefill "$p" --decode "$d"
  if [ "$p" -gt 0 ]; then
    list=; for ((i = 0; i < p; i++)); do list+="${list:+,}$(dev $i)"; done
    printf '%s\n' --prefill-devices "$list"
  fi
  list=; for ((i = p; i < p + d; i++)); do list+="${list:+,}$(dev $i)"; done
  printf '%s\n' --decode-devices "$list"
  if [ "$p" -gt 0 ] && [ "$1" = "$name" ]; then
    printf '%s\n' --set Routing:DisaggregationPolicy=threshold --set Routing:MinDisaggregatedTokens=0
  fi
}

metrics() { python3 - "$1" <<'PY'
import sys, urllib.request
try: print(urllib.request.urlopen(sys.argv[1] + "/metrics", timeout=5).read().decode())
except Exception as e: print(f"# /metrics of {sys.argv[1]} unreadable: {e}")
PY
}

last_report=${INCLUDE:-}; status=0
serve() { # system name
  local label=$1 opts
  mapfile -t opts < <(placement "$label") || true
  [ ${#opts[@]} -gt 0 ] || { echo "unknown system '$label' (colocatedN, XpYd, XpYd-cond)"; status=2; return; }
  step "cluster: $label: ${opts[*]}"
  local log=/tmp/up-multi-$label.log
  $cluster up --model "$model" --device "$device" --http-port "$port" --grpc-port 0 "${up_mode[@]}" --log-dir "/tmp/multi-gpu-logs/$label" "${opts[@]}" > "$log" 2>&1 &
  local pid=$!
  if ! python3 - "$port" "${READY_S:-240}" <<'PY'
import sys, time, urllib.request
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2); sys.exit(0)
    except Exception:
        time.sleep(0.5)
sys.exit(1)
PY
  then
    echo "$label: not ready after ${READY_S:-240} s; its log:"; tail -30 "$log"; kill -TERM $pid; wait $pid; status=1; return
  fi
  for _ in $(seq 120); do grep -q '^Cluster up' "$log" && break; sleep 0.5; done   # /readyz can answer before the banner is out
  grep -E '^Cluster up|^  (prefill|decode)-[0-9]+ |^  device ' "$log"
  local include=()
  [ -n "$last_report" ] && include=(--include "$last_report")
  timeout "${BENCH_TIMEOUT:-300}" $cluster bench serve --endpoint "$label=http://127.0.0.1:$port" "${trace_args[@]}" --requests "$requests" --rates "$rates" \
    --prompt-format tokens --token-ids "$token_ids" --slo "$tight" --slo "$loose" --warmup 4 --timeout 60 "${include[@]}" \
    --json-out "$out/endpoint-$label.json" --markdown-out "$out/multi-gpu.md" --plot-out "$out/multi-gpu.svg"
  local rc=$?; echo "exit status $rc"; [ $rc -eq 0 ] || status=$rc
  [ -f "$out/endpoint-$label.json" ] && last_report=$out/endpoint-$label.json
  metrics "http://127.0.0.1:$port" | grep -E '^cluster_router_routing_decisions' | sed "s/^/$label router: /"
  # Each worker's KV pushes by transport (sender) and CUDA IPC fallbacks by reason, from the banner's HTTP addresses.
  grep -oE '^  (prefill|decode)-[0-9]+ +gRPC [^ ]+ +HTTP [^ ]+' "$log" | awk '{ print $1, $5 }' | while read -r name http; do
    metrics "$http" | grep -E '^cluster_kv_transfer_(duration_seconds_count|cuda_ipc_fallbacks_total|failures_total)' | sed "s/^/$label $name: /"
  done
  # Which process holds memory on which GPU (placement check; a decode process that opened a peer's ring by CUDA IPC
  # also holds a context on the prefill worker's GPU).
  nvidia-smi --query-compute-apps=pid,gpu_bus_id,used_memory --format=csv,noheader 2>/dev/null | sed "s/^/$label gpu apps: /"
  kill -TERM $pid; wait $pid
  grep -ihE 'CUDA IPC|error|exception' "$log" /tmp/multi-gpu-logs/"$label"/*.log 2>/dev/null | grep -v 'Auth:ClusterToken is empty' | sort | uniq -c | sort -rn | head -8
}

for system in $systems; do [ "$system" = none ] || serve "$system"; done
[ -n "$last_report" ] && cp "$last_report" "$out/multi-gpu.json"

step "summary: best goodput per system and its ratio to the colocated baseline"
if [ -f "$out/multi-gpu.json" ]; then
  python3 - "$out/multi-gpu.json" "$tight" "$loose" <<'PY' | tee "$out/multi-gpu-summary.md"
import json, math, sys
report = json.load(open(sys.argv[1]))
rows = report["rows"]
systems = list(dict.fromkeys(r["system"] for r in rows))
base = next((s for s in systems if s.startswith("colocated")), None)
print(f"# Multi-GPU goodput ({report.get('setup', '')[:160]})\n")
for i, slo in enumerate(report["slos"]):
    name = f"TTFT<={slo['ttft_ms']:g} ms, TPOT<={slo['tpot_ms']:g} ms" + (" (tight)" if i == 0 else " (loose)" if i == 1 else "")
    print(f"## {name}\n\n| system | best goodput req/s (at rate) | vs {base or 'no colocated baseline'} | attainment % per rate |\n|---|---|---|---|")
    best = {}
    for s in systems:
        mine = [r for r in rows if r["system"] == s]
        g = [(r["goodput"][i]["goodput_rps"], r["rate"]) for r in mine if not math.isnan(r["goodput"][i]["goodput_rps"])]
        best[s] = max(g) if g else (float("nan"), float("nan"))
        att = ", ".join(f"{r['rate']:g}: {r['goodput'][i]['attainment_pct']:.0f}" for r in mine)
        ratio = best[s][0] / best[base][0] if base and best.get(base) and best[base][0] > 0 else float("nan")
        print(f"| {s} | {best[s][0]:.2f} ({best[s][1]:g}) | {ratio:.2f}x | {att} |")
    print()
    if i == 0 and base:
        for s in systems:
            if s != base and best[base][0] > 0:
                verdict = "MEETS" if best[s][0] >= 1.5 * best[base][0] else "BELOW"
                print(f"{s} / {base} at the tight SLO: {best[s][0] / best[base][0]:.2f}x ({verdict} the 1.5x goal)")
        print()
PY
else
  echo "no report: no system finished its sweep"
fi

kv_default=1; [ "$device" = cpu ] && kv_default=0
if [ "${KV:-$kv_default}" = 1 ]; then
  summary="$out/kv-gpu-to-gpu.md"
  echo "# KV push GPU to GPU: CUDA IPC against gRPC inline and the shared-memory ring ($(date -u +%F))" > "$summary"
  pairs="cuda:0/cuda:0"; [ "$gpus" -ge 2 ] && pairs="cuda:0/cuda:1 cuda:0/cuda:0"
  [ "$device" = cpu ] && pairs="cpu/cpu"   # a CPU dry run: CUDA IPC falls back (no_cuda)
  for kv_preset in ${KV_PRESETS:-llama-3.1-8b}; do
    kv_model=/tmp/kv-ipc-model-$kv_preset-$dtype
    [ -f "$kv_model/config.json" ] || $cluster make-model --preset "$kv_preset" --out "$kv_model" --dtype "$dtype" --seed 1 | tail -1
    for pair in $pairs; do
      step "bench kv-transfer $kv_preset: prefill on ${pair%/*}, decode process on ${pair#*/}"
      log=/tmp/kv-multi-$kv_preset-${pair//[:\/]/-}.txt
      timeout "${KV_TIMEOUT:-300}" $cluster bench kv-transfer --model "$kv_model" --device "${pair%/*}" --decode-device "${pair#*/}" --dtype "$dtype" \
        --processes 2 --tokens "${KV_TOKENS:-2048}" --repeat "${KV_REPEAT:-3}" --chunk-kib "${KV_CHUNK_KIB:-8192}" > "$log" 2>&1
      rc=$?; cat "$log"
      { echo; echo "## $kv_preset, prefill ${pair%/*}, decode ${pair#*/} (exit $rc)"; echo '```';
        grep -E "^kv-transfer engine bench|^prefill alone|^transport |^gRPC|^shared memory|^CUDA IPC|^push:|^received KV|^kv identical|fallback" "$log";
        echo '```'; } >> "$summary"
      [ $rc -eq 0 ] || status=$rc
      grep -q "kv identical across transports: yes" "$log" || { echo "KV differs between transports (or the check did not run) for $kv_preset $pair"; status=1; }
      if ! grep -qE "^CUDA IPC +cuda_ipc " "$log"; then
        echo "CUDA IPC did not run for $kv_preset $pair (see the fallback line)"; [ "$device" = cpu ] || status=1
      fi
    done
  done
  cat "$summary"
fi
step "done (status $status): $(ls "$out" | tr '\n' ' ')"
exit $status
