#!/usr/bin/env bash
# Soak of `lviz serve` through a Prometheus outage, loopback only and bounded: the 1x scaled
# mesh (100 namespaces × 10 deployments × 3 pods) in a real Prometheus and the fake Kubernetes
# API, `lviz serve` in front, CLIENTS keep-alive clients (default 50) for DURATION seconds
# (default 300) sending stat requests; Prometheus is killed (SIGKILL) at KILL_AT seconds and
# started again, same data, OUTAGE seconds later. Reports requests and errors before, during and
# after the outage, when the first success after the restart came, and the server's RSS
# sampled every second. Not a test: figures depend on the machine (BENCHMARKS.md).
#
#   bench/soak.sh
#   DURATION=60 KILL_AT=20 OUTAGE=10 CLIENTS=10 bench/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-50}
DURATION=${DURATION:-300}
KILL_AT=${KILL_AT:-120}
OUTAGE=${OUTAGE:-30}
CACHE_TTL=${CACHE_TTL:-10}

cargo build --release --quiet -p lviz --bin lviz -p lviz-testkit --bin lviz-testkit

dir=$(mktemp -d)
testkit_pid="" serve_pid="" prom_pid="" sampler_pid=""
cleanup() {
  for pid in "$sampler_pid" "$serve_pid" "$prom_pid" "$testkit_pid"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$dir"
}
trap cleanup EXIT

# 1. The 1x mesh: Prometheus and the fake Kubernetes API.
target/release/lviz-testkit up --dir "$dir/kit" --ignore-stdin --scale 100,10,3,3 >"$dir/up" 2>"$dir/up.err" &
testkit_pid=$!
for _ in $(seq 3000); do grep -qx ready "$dir/up" 2>/dev/null && break; sleep 0.2; done
grep -qx ready "$dir/up" || { cat "$dir/up.err" >&2; exit 1; }
eval "$(grep '^export ' "$dir/up")"
at=$(date -u -d "$LVIZ_AT" +%s)

# 2. The server.
target/release/lviz --prometheus-url "$LVIZ_PROMETHEUS_URL" --kubeconfig "$KUBECONFIG" \
  serve --addr 127.0.0.1:0 --grpc-addr off --admin-addr off --cache-ttl "${CACHE_TTL}s" 2>"$dir/serve.log" &
serve_pid=$!
ready() { python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null; }
url=""
for _ in $(seq 1200); do
  url=$(sed -n 's/^lviz serve: listening on //p' "$dir/serve.log" | head -n1)
  [ -n "$url" ] && ready "$url/ready" && break
  sleep 0.1
done
ready "$url/ready" || { cat "$dir/serve.log" >&2; exit 1; }

# 3. RSS every second.
(while kill -0 "$serve_pid" 2>/dev/null; do
  awk '/^VmRSS/ { print $2 }' "/proc/$serve_pid/status" 2>/dev/null
  sleep 1
done) >"$dir/rss" &
sampler_pid=$!

# 4. The clients, and the outage.
python3 bench/soak_client.py "$url" "$CLIENTS" "$DURATION" "$dir/requests" "$at" &
clients_pid=$!
sleep "$KILL_AT"
prom_pid=$(pgrep -P "$testkit_pid" -x prometheus | head -n1)
[ -n "$prom_pid" ] || { echo "no Prometheus child of lviz-testkit" >&2; exit 1; }
tr '\0' '\n' <"/proc/$prom_pid/cmdline" >"$dir/prom.cmd"
prom_cwd=$(readlink "/proc/$prom_pid/cwd")
kill -KILL "$prom_pid"
wait "$prom_pid" 2>/dev/null || true
killed=$(date +%s.%N)
sleep "$OUTAGE"
mapfile -t prom_cmd <"$dir/prom.cmd"
(cd "$prom_cwd" && exec "${prom_cmd[@]}") >"$dir/prom.log" 2>&1 &
prom_pid=$!
restarted=$(date +%s.%N)
wait "$clients_pid"
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""

# 5. The report. Times are seconds since the clients started.
awk -v kill_at="$KILL_AT" -v outage="$OUTAGE" -v ttl="$CACHE_TTL" '
  { t = $1; ok = ($2 == 200) }
  t < kill_at { before++; if (!ok) before_err++ }
  t >= kill_at && t < kill_at + outage { during++; if (!ok) during_err++ }
  t >= kill_at + outage { after++; if (!ok) { after_err++; last_err = t } else if (first_ok == "") first_ok = t }
  t >= kill_at + outage + ttl { settled++; if (!ok) settled_err++ }
  END {
    printf "requests: %d (%.0f/s)\n", NR, NR / $1
    printf "before the outage (0-%ds): %d requests, %d errors\n", kill_at, before, before_err
    printf "during the outage (%d-%ds): %d requests, %d errors (answered from the response cache meanwhile: %d)\n", kill_at, kill_at + outage, during, during_err, during - during_err
    printf "after the restart: %d requests, %d errors, last error at %.1fs (%.1fs after the restart)\n", after, after_err, last_err, (last_err > 0 ? last_err - kill_at - outage : 0)
    printf "one cache interval (%ds) after the restart: %d requests, %d errors\n", ttl, settled, settled_err
  }' "$dir/requests"
sort -n "$dir/rss" | awk '{ v[NR] = $1 } END { printf "server RSS: %d samples, min %.0f MiB, median %.0f MiB, max %.0f MiB\n", NR, v[1]/1024, v[int((NR+1)/2)]/1024, v[NR]/1024 }'
