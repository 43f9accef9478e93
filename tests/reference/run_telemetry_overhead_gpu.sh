#!/usr/bin/env bash
# Telemetry's cost on the GPU host (issue 15: `bench serve` throughput with metrics and tracing on within 3 % of off),
# in one device command, after the pack (see run_endpoint_gpu.sh):
#   bash .device/bootstrap.sh bash tests/reference/run_telemetry_overhead_gpu.sh
# Colocated clusters from run_endpoint_gpu.sh, telemetry on and off, in ABBA order after one warm-up cluster (session 25
# ran on,off three times: each later run was faster, so order alone favoured "off"). REQUESTS (256) of the ShareGPT-like
# trace at RATES (64/s). Results in $OUT: telemetry-gpu.log, endpoint-gpu.md (one row per cluster), endpoints.tgz.
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
OUT=/tmp/telemetry-overhead ENGINE=0 HF=0 RATES=${RATES:-64} REQUESTS=${REQUESTS:-256} TRACE=${TRACE:-generated} \
  SYSTEMS="colocated#0 colocated colocated-telemetry-off colocated-telemetry-off#2 colocated#2 colocated#3 colocated-telemetry-off#3" \
  bash "$here/run_endpoint_gpu.sh" > "$out/telemetry-gpu.log" 2>&1
cp /tmp/telemetry-overhead/endpoint-gpu.md "$out/" 2>/dev/null
tar czf "$out/endpoints.tgz" -C /tmp/telemetry-overhead . 2>/dev/null
grep -E '^\| (colocated|system)' "$out/endpoint-gpu.md" 2>/dev/null | head -20
