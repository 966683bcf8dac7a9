#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command with a throwaway PostgreSQL server (tests/pg/pg_fixture) and
# BANKCC_BENCH_PG_URL pointing at it, e.g.
#   bench/with-postgres.sh build/bench/bench_event_log --benchmark_filter=postgres
# The fixture starts the server with fsync=off (fast tests); this restarts it with fsync=on
# (a command-line -c cannot be overridden by ALTER SYSTEM), so commits cost what they cost in
# production. Pass --no-fsync as the first argument to keep it off.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fsync=on
if [ "${1:-}" = "--no-fsync" ]; then fsync=off; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--no-fsync] COMMAND [ARGS...]" >&2; exit 2; }
dir=$(mktemp -d /tmp/bankcc-bench-pg-XXXXXX)
cleanup() { "$here/../tests/pg/pg_fixture" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"$here/../tests/pg/pg_fixture" start "$dir" >&2
url=$(cat "$dir/url")
conninfo=${url#postgresql:}
if [ "$fsync" = on ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  port=$(sed -n 's/.* port=\([0-9]*\).*/\1/p' "$dir/url")
  run=$(cat "$dir/rundir")
  as_pg=()
  if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi
  (cd / && "${as_pg[@]}" "$bin/pg_ctl" -D "$run/data" -l "$run/server.log" -w -m fast restart \
    -o "-p $port -k $run -c listen_addresses='' -c fsync=on -c max_connections=200" >/dev/null)
fi
echo "with-postgres: fsync=$(psql "$conninfo" -qAt -c 'SHOW fsync')," \
  "synchronous_commit=$(psql "$conninfo" -qAt -c 'SHOW synchronous_commit')" >&2
BANKCC_BENCH_PG_URL=$url "$@"
