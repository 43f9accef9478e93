#!/usr/bin/env bash
# Fetch redis-server as .deb files for the GPU machines (no Redis, no network there), run HERE (Debian 12, apt), from the
# project root:   bash tests/reference/fetch_redis_debs.sh [DIR]      (DIR default .device-redis, git-ignored)
# run_cluster_gpu.sh unpacks them with dpkg -x into /tmp/redis and starts redis-server through a wrapper that sets
# LD_LIBRARY_PATH for it alone. Two sets: what a CUDA/PyTorch Ubuntu image usually lacks (redis itself, libjemalloc2,
# liblzf1) in DIR/, and redis-server's other runtime libraries (ldd: libatomic1, libssl3, libsystemd0 and its own deps)
# in DIR/extra/, used only when the binary does not start with the machine's own copies.
# Send DIR along with .device (both git-ignored: name them in the device run's carry list).
set -euo pipefail
dir=${1:-.device-redis}
mkdir -p "$dir/extra"
dir=$(cd "$dir" && pwd)
apt_download() { (cd "$1" && shift && apt-get download "$@" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true); }
rm -f "$dir"/*.deb "$dir"/extra/*.deb
apt_download "$dir" redis-server redis-tools libjemalloc2 liblzf1
apt_download "$dir/extra" libatomic1 libssl3 libsystemd0 libcap2 libgcrypt20 liblzma5 libzstd1 liblz4-1 libgpg-error0
ls "$dir"/*.deb "$dir"/extra/*.deb | sed "s|^$dir/||"
# Check here that the unpacked binary runs from /tmp the way the GPU script runs it.
check=$(mktemp -d); trap 'rm -rf "$check"' EXIT
for deb in "$dir"/*.deb; do dpkg -x "$deb" "$check"; done
LD_LIBRARY_PATH="$check/usr/lib/x86_64-linux-gnu:$check/lib/x86_64-linux-gnu" "$check/usr/bin/redis-server" --version
du -sh "$dir" | cut -f1 | sed 's/^/size: /'
