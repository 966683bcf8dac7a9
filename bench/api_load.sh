#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Authenticated keep-alive GETs against a real `bankcc serve` (SQLite, demo organisation):
# wrk with a bearer token on
#   /api/v1/auth/session   (session from the in-memory cache + one database read)
#   /api/v1/skills/retail  (a small organisation object read from the database)
#   /healthz               (no authentication: the transport and router alone)
#   bench/api_load.sh [path/to/bankcc]   (DURATION=10s CONNECTIONS=64 THREADS=2 by default)
set -euo pipefail
bin=${1:-build/src/server/bankcc}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
command -v wrk >/dev/null || { echo "api_load: wrk is missing (apt-get install wrk)" >&2; exit 1; }
source "$(dirname "$0")/lib.sh"
bench_prepare "$bin" admin seed
bench_start "$bin"
bench_login
echo "bankcc on $addr; wrk -t$threads -c$connections -d$duration; $(nproc) cores"
for path in /api/v1/auth/session /api/v1/skills/retail /healthz; do
  # One warm-up second so that every worker has its database connection.
  wrk -t"$threads" -c"$connections" -d1s -H "Authorization: Bearer $token" "http://$addr$path" \
    >/dev/null
  echo "== GET $path"
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" -H "Authorization: Bearer $token" \
    "http://$addr$path")
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  grep -E 'Requests/sec|Latency|Non-2xx|Socket errors' <<<"$out"
  # Server CPU (user + system) per request: steadier than requests/s on a shared machine.
  requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { printf "Server CPU:    %.1f us/request\n", t / hz * 1e6 / n }'
done
