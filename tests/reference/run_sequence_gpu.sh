#!/usr/bin/env bash
# Several GPU scripts in one device call (device time is scarce: one machine start for all), each bounded, after the
# pack (see run_endpoint_gpu.sh) and `bash tests/reference/trim_device_publish.sh` (keeps .device under the carry limit); there:
#   bash tests/reference/run_sequence_gpu.sh "SECONDS:ENV=... script.sh" ...
# e.g.  bash tests/reference/run_sequence_gpu.sh "150:PRESETS=llama-3.2-1b ROUTER_DECISION=0 run_prefix_routing_gpu.sh" \
#         "120:PRESETS=llama-3.2-1b CHUNKS=8192 run_kv_ipc_gpu.sh"
# Bootstraps once. If the native layer fails to build (a new CUDA source never compiled against real CUDA), the
# compiler's errors go to $OUT/native-build-error.txt and it is rebuilt with cuda_ipc.cpp's CPU stubs (CUDA IPC then
# falls back, reason no_cuda), so the other scripts still run; if that fails too, without the fused kernels. Each script writes into
# $OUT/<n>-<script>/ (with its stdout in sequence-stdout.log, whose tail is printed); everything is packed into
# $OUT/sequence-results.tgz at the end (the device tool returns 8 files).
set -uo pipefail
out=${OUT:-/tmp/out}; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
if ! bash .device/bootstrap.sh true > /tmp/bootstrap.log 2>&1; then
  grep -iE "error|undefined" /tmp/bootstrap.log | head -40 > "$out/native-build-error.txt"
  sed -i 's/^#ifdef CLUSTER_TORCH_CUDA/#if 0/' .device/native/cuda_ipc.cpp
  rm -rf /tmp/native-build
  if bash .device/bootstrap.sh true > /tmp/bootstrap2.log 2>&1; then
    echo "native build failed with CUDA IPC; rebuilt with its CPU stubs (errors in native-build-error.txt)"
  else
    # Still failing: a fused kernel source (kernels.cu, paged_attention.cu) or a launch site; build without the fused
    # kernels (the engine then runs the ATen paths: slower, so kernel timings of this run do not count).
    grep -iE "error|undefined" /tmp/bootstrap2.log | head -40 > "$out/native-build-error-2.txt"
    sed -i 's/option(CLUSTER_TORCH_FUSED "Build the fused CUDA kernels" ON)/option(CLUSTER_TORCH_FUSED "Build the fused CUDA kernels" OFF)/' .device/native/CMakeLists.txt
    rm -rf /tmp/native-build
    bash .device/bootstrap.sh true > /tmp/bootstrap3.log 2>&1 || { tail -30 /tmp/bootstrap3.log; exit 1; }
    echo "native build failed twice; rebuilt with CUDA IPC stubs and WITHOUT the fused kernels (errors in native-build-error*.txt)"
  fi
fi
# The device call's own limit (600 s) kills everything, the packing below included: each script gets at most what is
# left of SEQUENCE_SECONDS (default 575, counted from this script's start) less 15 s, and is skipped under 30 s.
budget=${SEQUENCE_SECONDS:-575}
n=0
for item in "$@"; do
  n=$((n + 1))
  seconds=${item%%:*}; rest=${item#*:}
  script=${rest##* }; dir="$out/$n-${script%.sh}"; mkdir -p "$dir"
  left=$(( budget - SECONDS - 15 ))
  if [ "$left" -lt 30 ]; then echo "=== $rest: skipped, ${left}s left of the sequence's ${budget}s"; continue; fi
  [ "$seconds" -le "$left" ] || seconds=$left
  echo "=== $rest (at most ${seconds}s, $(date +%T))"
  # shellcheck disable=SC2086
  vars=; [ "${rest% *}" = "$rest" ] || vars=${rest% *}
  timeout "$seconds" env OUT="$dir" $vars bash .device/bootstrap.sh bash "$here/$script" > "$dir/sequence-stdout.log" 2>&1
  echo "exit status $? ($(date +%T))"
  tail -n "${SEQUENCE_TAIL:-12}" "$dir/sequence-stdout.log"
done
# The device returns at most 8 files: everything goes back in one archive (one folder per script, in order).
(cd "$out" && tar czf ../sequence-results.tgz . && rm -rf ./* && mv ../sequence-results.tgz .)
ls -l "$out"
