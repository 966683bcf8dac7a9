# SPDX-License-Identifier: Apache-2.0
# Shared by the load scripts: a throwaway bankcc with a master key, one user and a config.
#   source bench/lib.sh
#   bench_prepare BIN ROLE [seed]     -> $dir (temporary, removed on exit)
#   bench_start BIN "extra toml"      -> $pid, $addr
#   bench_login                       -> $token (the user "bench" logged in)
bench_password='Kp7x-Qm2r-Tz9d'
pid=""
dir=$(mktemp -d)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

# Creates the key, optionally the demo organisation, and the user "bench" with ROLE.
bench_prepare() {
  local bin=$1 role=$2 seed=${3:-}
  "$bin" admin init-keys --data-dir "$dir/data" --master-key "$dir/master.key" >/dev/null
  if [ -n "$seed" ]; then
    "$bin" admin seed --data-dir "$dir/data" --file config/seed.toml >/dev/null 2>&1
  fi
  echo "$bench_password" | "$bin" admin create-user --data-dir "$dir/data" \
    --master-key "$dir/master.key" --username bench --role "$role" --password-stdin \
    >/dev/null 2>&1
}

# Starts `bankcc serve` with [log] level = warn plus EXTRA toml; waits for its address.
bench_start() {
  local bin=$1 extra=${2:-}
  printf '[log]\nlevel = "warn"\n%b\n' "$extra" >"$dir/bankcc.toml"
  "$bin" serve --config "$dir/bankcc.toml" --data-dir "$dir/data" \
    --master-key "$dir/master.key" --http 127.0.0.1:0 --sip 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
  pid=$!
  addr=""
  for _ in $(seq 1 200); do
    addr=$(sed -n 's/.*"http":"\([^"]*\)".*/\1/p' "$dir/out" 2>/dev/null | head -n1)
    [ -n "$addr" ] && return 0
    sleep 0.05
  done
  cat "$dir/err" >&2
  return 1
}

# Logs the user "bench" in; sets $token or fails with the server's log.
bench_login() {
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$bench_password\"}" "http://$addr/api/v1/auth/login" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || { echo "bench: login failed" >&2; cat "$dir/err" >&2; return 1; }
}
