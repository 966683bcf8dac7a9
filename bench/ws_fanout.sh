#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WebSocket fan-out against a real `bankcc serve` (SQLite, demo organisation): CLIENTS clients
# (default 5,000) subscribe to the `calls` topic as an admin; EVENTS agent state changes (REST)
# at RATE per second each reach every client; prints the delivery latency (p50/p99/max).
# CLIENT=raw reads frames straight from the sockets (a lighter measuring side), default beast.
#   bench/ws_fanout.sh [path/to/bankcc] [path/to/bench_ws_fanout]
set -euo pipefail
bin=${1:-build/src/server/bankcc}
fanout=${2:-build/bench/bench_ws_fanout}
clients=${CLIENTS:-5000}
events=${EVENTS:-200}
rate=${RATE:-20}
source "$(dirname "$0")/lib.sh"
bench_prepare "$bin" admin seed
bench_start "$bin"
bench_login
echo "bankcc on $addr; $clients clients, $events events at $rate/s; $(nproc) cores"
cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
"$fanout" --http "$addr" --token "$token" --clients "$clients" --events "$events" --rate "$rate" \
  --client "${CLIENT:-beast}"
cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v rss="$rss" \
  'BEGIN { printf "Server CPU during the run: %.1f s; peak RSS %.0f MiB\n", t / hz, rss / 1024 }'
