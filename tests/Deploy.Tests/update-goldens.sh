#!/usr/bin/env bash
# Regenerates tests/Deploy.Tests/goldens/<example>.yaml (and .NOTES.txt) from deploy/helm/cluster/examples/*.yaml with
# the offline renderer (renderer/render.go), exactly as GoldenTests renders them. Run it after a deliberate change of
# the chart, then review `git diff tests/Deploy.Tests/goldens`.
# Needs golang-go, golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev (./cluster.sh setup installs them).
# The dashboard ConfigMaps (templates/grafana-dashboards.yaml) are left out: they follow whatever deploy/grafana holds,
# and DashboardTests checks them against those files.
set -euo pipefail
cd "$(dirname "$0")/../.."
chart=deploy/helm/cluster
out=tests/Deploy.Tests/goldens
mkdir -p "$out"
bin=$(mktemp -d)/render
trap 'rm -rf "$(dirname "$bin")"' EXIT
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-$(dirname "$bin")/cache}" go build -o "$bin" tests/Deploy.Tests/renderer/render.go
for example in "$chart"/examples/*.yaml; do
  name=$(basename "$example" .yaml)
  "$bin" --chart "$chart" --name cluster --namespace llm -f "$example" --exclude templates/grafana-dashboards.yaml > "$out/$name.yaml"
  "$bin" --chart "$chart" --name cluster --namespace llm -f "$example" --notes > "$out/$name.NOTES.txt"
  echo "wrote $out/$name.yaml, $out/$name.NOTES.txt"
done
