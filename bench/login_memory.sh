#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 200 logins at once against a real `bankcc serve`: the server's peak resident memory
# (VmHWM) must stay within its bound, idle RSS + max_concurrent_hashes x 64 MiB (argon2id at
# the interactive limits) + slack, however many logins wait.
#   bench/login_memory.sh [path/to/bankcc]   (LOGINS=200 HASHES=2 by default)
set -euo pipefail
bin=${1:-build/src/server/bankcc}
logins=${LOGINS:-200}
hashes=${HASHES:-2}
source "$(dirname "$0")/lib.sh"
bench_prepare "$bin" agent
bench_start "$bin" "[auth]\nmax_concurrent_hashes = $hashes\naddress_failure_limit = 1000"
rss() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }
curl -s -o /dev/null "http://$addr/readyz"
idle=$(rss VmRSS)
t0=$(date +%s%N)
seq 1 "$logins" | xargs -P "$logins" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -X POST -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"$bench_password\"}" "http://$addr/api/v1/auth/login" \
  >"$dir/codes"
t1=$(date +%s%N)
peak=$(rss VmHWM)
bound=$((idle + hashes * 65536 + 32768))
ok=$(grep -c '^200$' "$dir/codes" || true)
echo "logins: $logins at once, $ok answered 200, in $(( (t1 - t0) / 1000000 )) ms"
echo "memory: idle ${idle} KiB, peak ${peak} KiB, bound ${bound} KiB (idle + $hashes x 64 MiB + 32 MiB)"
if [ "$peak" -gt "$bound" ]; then
  echo "login_memory: peak above the bound" >&2
  exit 1
fi
