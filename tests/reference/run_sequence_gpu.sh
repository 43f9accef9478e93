#!/usr/bin/env bash
# Several GPU scripts in one device call (device time is scarce: one machine start for all), each bounded, after the
# pack (see run_endpoint_gpu.sh) and `bash tests/reference/trim_device_publish.sh` (keeps .device under the carry limit); there:
#   bash tests/reference/run_sequence_gpu.sh "SECONDS:ENV=... script.sh" ...
# e.g.  bash tests/reference/run_sequence_gpu.sh "150:PRESETS=llama-3.2-1b ROUTER_DECISION=0 run_prefix_routing_gpu.sh" \
#         "120:PRESETS=llama-3.2-1b CHUNKS=8192 run_kv_ipc_gpu.sh"
# Bootstraps once. If the native layer fails to build (a new CUDA source never compiled against real CUDA), the
# compiler's errors go to $OUT/native-build-error.txt and it is rebuilt with cuda_ipc.cpp's CPU stubs (CUDA IPC then
# falls back, reason no_cuda), so the other scripts still run; if that fails too, without the fused kernels. Each script writes into $OUT; JSON files and cluster-ttft
# tables (also in the logs) are packed into $OUT/json.tgz at the end (the device tool returns 8 files).
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
for item in "$@"; do
  seconds=${item%%:*}; rest=${item#*:}
  echo "=== $rest (at most ${seconds}s, $(date +%T))"
  # shellcheck disable=SC2086
  vars=; [ "${rest% *}" = "$rest" ] || vars=${rest% *}
  timeout "$seconds" env OUT="$out" $vars bash .device/bootstrap.sh bash "$here/${rest##* }" > "/tmp/seq-$(date +%s).log" 2>&1
  echo "exit status $?"
done
(cd "$out" && ls *.json cluster-ttft-*.md >/dev/null 2>&1 && tar czf json.tgz *.json cluster-ttft-*.md 2>/dev/null; rm -f *.json cluster-ttft-*.md)
ls "$out"
