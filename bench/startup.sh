#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start-up time: from launching `bankcc serve` on an empty data directory (SQLite, no master
# key yet) to the first 200 from GET /readyz. Prints each run and min/median/max in ms.
#   bench/startup.sh [path/to/bankcc] (RUNS=20 by default)
set -euo pipefail
bin=${1:-build/src/server/bankcc}
runs=${RUNS:-20}
times=()
for i in $(seq 1 "$runs"); do
  dir=$(mktemp -d)
  t0=$(date +%s%N)
  "$bin" serve --data-dir "$dir/data" --master-key "$dir/master.key" --http 127.0.0.1:0 --sip 127.0.0.1:0 \
    >"$dir/out" 2>"$dir/err" &
  pid=$!
  addr=""
  while [ -z "$addr" ]; do
    addr=$(sed -n 's/.*"http":"\([^"]*\)".*/\1/p' "$dir/out" 2>/dev/null | head -n1)
    kill -0 "$pid" 2>/dev/null || { cat "$dir/err" >&2; exit 1; }
  done
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" = 200 ]; do :; done
  t1=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf "$dir"
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  echo "run $i: ${ms} ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
n=${#sorted[@]}
echo "start to /readyz 200 over $n runs: min ${sorted[0]} ms, median ${sorted[$((n / 2))]} ms, max ${sorted[$((n - 1))]} ms"
