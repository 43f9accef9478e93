# Sourced by the GPU scripts: unpacks redis-server from the .deb files of fetch_redis_debs.sh ($1, default
# .device-redis) into /tmp/redis and, when it starts and accepts connections, exports REDIS_SERVER (a wrapper that sets
# LD_LIBRARY_PATH for redis alone; the Debian libraries of $1/extra are added only if the machine's own do not do).
# Returns 1 (REDIS_SERVER unset) without the .debs, without dpkg, or when it does not start.
gpu_redis() {
  local debs=${1:-.device-redis}
  unset REDIS_SERVER
  rm -rf /tmp/redis; mkdir -p /tmp/redis/root /tmp/redis/extra
  ls "$debs"/redis-server_*.deb >/dev/null 2>&1 && command -v dpkg >/dev/null || return 1
  local d
  for d in "$debs"/*.deb; do dpkg -x "$d" /tmp/redis/root; done
  for d in "$debs"/extra/*.deb; do [ -f "$d" ] && dpkg -x "$d" /tmp/redis/extra; done
  write_wrapper() {
    printf '#!/bin/sh\nexport LD_LIBRARY_PATH=/tmp/redis/root/usr/lib/x86_64-linux-gnu:/tmp/redis/root/lib/x86_64-linux-gnu%s\nexec /tmp/redis/root/usr/bin/redis-server "$@"\n' "$1" > /tmp/redis/redis-server
    chmod +x /tmp/redis/redis-server
  }
  write_wrapper ""
  if ! /tmp/redis/redis-server --version; then
    echo "redis-server does not start with this machine's libraries; adding the Debian ones of $debs/extra"
    write_wrapper ":/tmp/redis/extra/usr/lib/x86_64-linux-gnu:/tmp/redis/extra/lib/x86_64-linux-gnu"
    /tmp/redis/redis-server --version
  fi
  if { timeout 3 /tmp/redis/redis-server --port 16399 --bind 127.0.0.1 --save '' --appendonly no 2>&1; true; } | grep -q -m1 'Ready to accept connections'; then
    export REDIS_SERVER=/tmp/redis/redis-server
    return 0
  fi
  return 1
}
