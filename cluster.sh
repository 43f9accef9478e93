#!/usr/bin/env bash
# One entry point for a fresh Debian machine (the .NET 10 SDK and node 20 are expected on PATH):
#   ./cluster.sh demo   installs what is missing, builds, starts a local cluster and shows it answering
#   ./cluster.sh test   installs what is missing, builds and runs every test; last line "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

# Debian packages the build and the tests need (../shared/DEPENDENCIES.md says why each).
APT_PACKAGES=(cmake g++ libtorch-dev python3-torch libxxhash0 redis-server curl)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

require_tools() {
  command -v dotnet >/dev/null || { echo "dotnet (the .NET 10 SDK) is not on PATH; install it first." >&2; exit 2; }
  command -v node >/dev/null && command -v npm >/dev/null || { echo "node 20 and npm are not on PATH; install them first (apt-get install nodejs npm)." >&2; exit 2; }
}

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm() {
  # Every folder with a package-lock.json holds real npm peers used by tests (grpc-js, openai, tokenizers).
  while IFS= read -r lock; do
    local dir; dir=$(dirname "$lock")
    if [ ! -d "$dir/node_modules" ] || [ "$lock" -nt "$dir/node_modules/.package-lock.json" ]; then
      log "npm ci --prefix $dir"
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    fi
  done < <(find tests samples -name package-lock.json -not -path '*/node_modules/*' 2>/dev/null | sort)
}

setup() { require_tools; install_apt; install_npm; }

run_tests() {
  setup
  log "dotnet build"
  dotnet build Cluster.sln -c Release -nologo -v quiet
  log "dotnet test"
  local out; out=$(mktemp)
  set +e
  dotnet test Cluster.sln -c Release --no-build -nologo 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  set -e
  # dotnet test prints one summary line per test assembly; add them up.
  local counts; counts=$(grep -E '^\s*(Passed|Failed)!\s+-\s+Failed:' "$out" \
    | sed -E 's/.*Failed:\s+([0-9]+), Passed:\s+([0-9]+), Skipped:\s+([0-9]+).*/\1 \2 \3/' \
    | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d %d %d", p, f, s}')
  rm -f "$out"
  read -r passed failed skipped <<<"$counts"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "dotnet test exited with $rc (a build error, a crashed test host or an aborted run)." >&2; fi
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
  [ "$rc" -eq 0 ]
}

# Host name, gRPC port, HTTP port: one process per role, as in a real deployment.
DEMO_HOSTS=("Router 50051 8080" "PrefillWorker 50061 8081" "DecodeWorker 50071 8082")

run_demo() {
  local check_only=false
  [ "${1:-}" = "--check" ] && check_only=true
  setup
  log "dotnet build"
  dotnet build Cluster.sln -c Release -nologo -v quiet
  local pids=() logs; logs=$(mktemp -d)
  trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
  for h in "${DEMO_HOSTS[@]}"; do
    read -r name grpc http <<<"$h"
    log "starting $name (gRPC h2c :$grpc, HTTP :$http; log $logs/$name.log)"
    dotnet "src/$name/bin/Release/net10.0/Cluster.$name.dll" --Hosting:GrpcPort="$grpc" --Hosting:HttpPort="$http" \
      >"$logs/$name.log" 2>&1 &
    pids+=($!)
  done
  for h in "${DEMO_HOSTS[@]}"; do
    read -r name grpc http <<<"$h"
    dotnet src/Cli/bin/Release/net10.0/cluster.dll health --address "http://127.0.0.1:$grpc" --wait 60
    printf '%-14s HTTP /healthz: %s\n' "$name" "$(curl -fsS "http://127.0.0.1:$http/healthz")"
  done
  local cli="dotnet src/Cli/bin/Release/net10.0/cluster.dll" model=.cluster/models/tiny
  log "the engine on a generated tiny model (random weights, so the text is noise; the point is the path)"
  [ -f "$model/config.json" ] || $cli make-model --preset tiny --out "$model"
  $cli generate --model "$model" --prompt "Hello, cluster" --max-tokens 16 --device cpu
  cat <<MSG

The router and both workers are up and answer grpc.health.v1.Health over h2c and /healthz over HTTP.
Try:  dotnet src/Cli/bin/Release/net10.0/cluster.dll health --address http://127.0.0.1:50051
      curl http://127.0.0.1:8080/healthz
      dotnet src/Cli/bin/Release/net10.0/cluster.dll generate --model $model --prompt "..." --temperature 0.8
Serving through the router (prefill → KV transfer → decode) arrives with the cluster issue.
MSG
  $check_only && return 0
  echo "Press Ctrl+C to stop."
  wait
}

case "${1:-}" in
  demo) shift; run_demo "$@" ;;
  test) shift; run_tests "$@" ;;
  setup) setup ;;
  *) echo "usage: ./cluster.sh demo|test|setup" >&2; exit 2 ;;
esac
