#!/usr/bin/env bash
# Load test of `lviz serve`, loopback only and bounded: brings up the synthetic emojivoto mesh
# (real Prometheus + fake Kubernetes API, see scripts/demo), starts `lviz serve` on a free port,
# runs wrk with CONNECTIONS clients for DURATION over a mix of stat/top-routes/edges/gateways
# requests, and reports requests/s, p99 latency, failed requests and how many queries actually
# reached Prometheus (from the server's /metrics), which shows the coalescing at work.
#
#   bench/load.sh                      # 50 clients, 30 s, no result cache
#   CACHE_TTL=5s bench/load.sh         # the same with `--cache-ttl 5s`
#   DURATION=10s CONNECTIONS=20 bench/load.sh
#
# Not a test: numbers depend on the machine. Needs wrk (Debian: apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
CACHE_TTL=${CACHE_TTL:-0s}

need() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "installing Debian's $2 package…" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$2" >/dev/null
}
need wrk wrk
need curl curl
need prometheus prometheus

cargo build --release --quiet --workspace --bins

dir=$(mktemp -d)
testkit_pid=""
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "$testkit_pid" ] && kill "$testkit_pid" 2>/dev/null && wait "$testkit_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

# 1. The synthetic mesh: Prometheus and the fake Kubernetes API, as scripts/demo does.
mkfifo "$dir/up"
target/release/lviz-testkit up --dir "$dir" --ignore-stdin >"$dir/up" &
testkit_pid=$!
exec 3<"$dir/up"
while read -r line <&3; do
  [ "$line" = "ready" ] && break
  eval "$line"
done
at=$(date -u -d "$LVIZ_AT" +%s)

# 2. The server on a free loopback port; its first stderr line names the address.
target/release/lviz --prometheus-url "$LVIZ_PROMETHEUS_URL" --kubeconfig "$KUBECONFIG" \
  serve --addr 127.0.0.1:0 --cache-ttl "$CACHE_TTL" 2>"$dir/serve.log" &
serve_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^lviz serve: listening on //p' "$dir/serve.log" | head -n1)
  [ -n "$url" ] && curl -fsS "$url/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$url/ready" >/dev/null || { echo "lviz serve did not become ready:" >&2; cat "$dir/serve.log" >&2; exit 1; }

# 3. The request mix: what `lviz stat|routes|edges|gateways` send, all evaluated at the data's end.
cat >"$dir/mix.lua" <<EOF
local at = $at
local requests = {
  {"/api/v1/stat", '{"resource_type":"deployment","namespace":"emojivoto","tcp_stats":true,"at":' .. at .. '}'},
  {"/api/v1/stat", '{"resource_type":"pod","namespace":"emojivoto","tcp_stats":true,"at":' .. at .. '}'},
  {"/api/v1/stat", '{"resource_type":"deployment","resource_name":"web","namespace":"emojivoto","from_resource_type":"deployment","from_resource_name":"vote-bot","from_namespace":"emojivoto","tcp_stats":true,"at":' .. at .. '}'},
  {"/api/v1/stat", '{"resource_type":"namespace","tcp_stats":true,"at":' .. at .. '}'},
  {"/api/v1/top-routes", '{"resource_type":"deployment","resource_name":"web","namespace":"emojivoto","at":' .. at .. '}'},
  {"/api/v1/edges", '{"resource_type":"deployment","at":' .. at .. '}'},
  {"/api/v1/gateways", '{"at":' .. at .. '}'},
}
local i = 0
request = function()
  i = i + 1
  local r = requests[(i % #requests) + 1]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/json"}, r[2])
end
EOF

metric() { curl -fsS "$url/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }
sent_before=$(metric lviz_prometheus_queries_total)
coalesced_before=$(metric lviz_prometheus_queries_coalesced_total)
hits_before=$(metric lviz_prometheus_query_cache_hits_total)

echo "wrk: $CONNECTIONS connections, $THREADS threads, $DURATION, cache TTL $CACHE_TTL, against $url" >&2
wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$dir/mix.lua" "$url" | tee "$dir/wrk.txt"

sent=$(( $(metric lviz_prometheus_queries_total) - sent_before ))
coalesced=$(( $(metric lviz_prometheus_queries_coalesced_total) - coalesced_before ))
hits=$(( $(metric lviz_prometheus_query_cache_hits_total) - hits_before ))
requests=$(awk '/requests in/ { print $1 }' "$dir/wrk.txt")
rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk.txt")
p99=$(awk '$1 == "99%" { print $2 }' "$dir/wrk.txt")
non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$dir/wrk.txt")
socket=$(awk '/Socket errors/ { print }' "$dir/wrk.txt")
asked=$(( sent + coalesced + hits ))

echo
echo "== lviz serve load test =="
echo "requests:               $requests in $DURATION ($CONNECTIONS clients)"
echo "requests/s:             $rps"
echo "p99 latency:            $p99"
echo "failed (non-2xx):       ${non2xx:-0}"
echo "socket errors:          ${socket:-none}"
echo "queries asked by engine: $asked"
echo "  sent to Prometheus:   $sent"
echo "  coalesced (joined):   $coalesced"
echo "  cache hits:           $hits"
if [ "$requests" -gt 0 ]; then
  awk -v s="$sent" -v r="$requests" 'BEGIN { printf "Prometheus queries per API request: %.3f\n", s / r }'
fi
