#!/usr/bin/env bash
# One entry point for a fresh Debian machine (the .NET 10 SDK and node 20 are expected on PATH):
#   ./cluster.sh demo   installs what is missing, builds, starts a local cluster (cluster up) and streams one request
#                       through it, then serves until Ctrl+C; --check: stop after the request (exit 0 only if it worked)
#   ./cluster.sh test   installs what is missing, builds and runs every test; last line "N passed, N failed"
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

# Debian packages the build and the tests need (../shared/DEPENDENCIES.md says why each).
APT_PACKAGES=(cmake g++ libtorch-dev python3-torch libxxhash0 redis-server curl prometheus
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev yamllint)  # the last four: deploy/ tests (offline Helm render, lint)

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

CLI="dotnet src/Cli/bin/Release/net10.0/cluster.dll"
MODEL_CACHE=.cluster/models   # the generated tiny model (random weights) lives here, written on first use

run_demo() {
  local check_only=false
  [ "${1:-}" = "--check" ] && check_only=true
  setup
  log "dotnet build src/Cli (the cluster command, router and worker hosts)"
  dotnet build src/Cli/Cli.csproj -c Release -nologo -v quiet
  if $check_only; then
    log "cluster up --smoke: router + prefill + decode workers in one process, one streamed chat request"
    $CLI up --smoke --cache-dir "$MODEL_CACHE"
    log "cluster up --redis --smoke: the same as three processes sharing a local redis-server"
    $CLI up --smoke --redis --cache-dir "$MODEL_CACHE" --grpc-port 0 --http-port 0
    return 0
  fi
  log "cluster up --demo: router (gRPC :50051, HTTP :8080) + prefill + decode workers; one streamed request, then serving"
  exec $CLI up --demo --cache-dir "$MODEL_CACHE" "$@"
}

case "${1:-}" in
  demo) shift; run_demo "$@" ;;
  test) shift; run_tests "$@" ;;
  setup) setup ;;
  *) echo "usage: ./cluster.sh demo|test|setup" >&2; exit 2 ;;
esac
