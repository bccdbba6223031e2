#!/usr/bin/env bash
# Load test of `lviz serve`, loopback only and bounded: brings up the synthetic emojivoto mesh
# (real Prometheus + fake Kubernetes API, see scripts/demo), starts `lviz serve` on free ports,
# runs wrk (JSON API) or the gRPC load client (`PROTOCOL=grpc`: crates/grpc/examples/grpc_load.rs,
# one HTTP/2 connection per client, linkerd2.viz.Api/StatSummary) with CONNECTIONS clients for
# DURATION, and reports requests/s, p50/p99 latency, failed requests, and what reached
# Prometheus (from the server's /metrics): queries sent, coalesced, and per 10 s scrape
# interval, plus the response cache's hits and computations.
#
#   bench/load.sh                      # MODE=mix: stat/top-routes/edges/gateways, server defaults
#   MODE=poll bench/load.sh            # dashboard polls: `stat deploy -n emojivoto`, then `stat deploy -A`
#   CACHE_TTL=0s bench/load.sh         # the same with the response cache off
#   DURATION=10s CONNECTIONS=20 bench/load.sh
#   NOW=1 MODE=poll bench/load.sh      # poll "now" (no `at`): cached per 10 s bucket
#   SCALE=100,10,3,3 MODE=poll bench/load.sh
#                                      # the 1x scaled mesh (namespaces,deployments,pods,minutes):
#                                      # `stat deploy -n scale-000` (10 rows) and `-A` (1,000 rows)
#   PROTOCOL=grpc SCALE=100,10,3,3 MODE=poll bench/load.sh
#                                      # the same views over gRPC (poll mode only);
#                                      # PROTOCOL=both: JSON, then gRPC, on the same server
#
# In poll mode the cache is warmed with one request before wrk starts. Requests name the data's
# end as `at` (the synthetic mesh lies in the past) unless NOW=1. Not a test: numbers depend on
# the machine. Needs wrk (Debian: apt-get install wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${MODE:-mix}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
CACHE_TTL=${CACHE_TTL:-}
NOW=${NOW:-0}
SCALE=${SCALE:-}
STALE_FOR=${STALE_FOR:-}
PROTOCOL=${PROTOCOL:-json}

case "$MODE" in mix | poll) ;; *) echo "MODE must be mix or poll, not $MODE" >&2; exit 2 ;; esac
if [ -n "$SCALE" ] && [ "$MODE" != poll ]; then
  echo "SCALE needs MODE=poll (the mix names emojivoto's resources)" >&2
  exit 2
fi
case "$PROTOCOL" in json | grpc | both) ;; *) echo "PROTOCOL must be json, grpc or both, not $PROTOCOL" >&2; exit 2 ;; esac
if [ "$PROTOCOL" != json ] && [ "$MODE" != poll ]; then
  echo "PROTOCOL=grpc needs MODE=poll (the gRPC load client sends one StatSummary)" >&2
  exit 2
fi

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
[ "$PROTOCOL" != json ] && cargo build --release --quiet -p lviz-grpc --example grpc_load

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
scale_flag=()
[ -n "$SCALE" ] && scale_flag=(--scale "$SCALE")
target/release/lviz-testkit up --dir "$dir" --ignore-stdin "${scale_flag[@]}" >"$dir/up" &
testkit_pid=$!
exec 3<"$dir/up"
while read -r line <&3; do
  [ "$line" = "ready" ] && break
  eval "$line"
done
at=$(date -u -d "$LVIZ_AT" +%s)
at_field=',"at":'"$at"
[ "$NOW" = 1 ] && at_field=""

# 2. The server on a free loopback port; its first stderr line names the address.
ttl_flag=()
[ -n "$CACHE_TTL" ] && ttl_flag=(--cache-ttl "$CACHE_TTL")
[ -n "$STALE_FOR" ] && ttl_flag+=(--cache-stale-for "$STALE_FOR")
target/release/lviz --prometheus-url "$LVIZ_PROMETHEUS_URL" --kubeconfig "$KUBECONFIG" \
  serve --addr 127.0.0.1:0 --grpc-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 "${ttl_flag[@]}" 2>"$dir/serve.log" &
serve_pid=$!
url=""
# The Kubernetes caches list every pod first: allow a minute at scale.
for _ in $(seq 600); do
  url=$(sed -n 's/^lviz serve: listening on //p' "$dir/serve.log" | head -n1)
  [ -n "$url" ] && curl -fsS "$url/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$url/ready" >/dev/null || { echo "lviz serve did not become ready:" >&2; cat "$dir/serve.log" >&2; exit 1; }
grpc_addr=$(sed -n 's/^lviz serve: gRPC (linkerd2.viz.Api) listening on //p' "$dir/serve.log" | head -n1)

metric() { curl -fsS "$url/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }
seconds() { awk -v d="$1" 'BEGIN { n = d + 0; u = substr(d, length(n "") + 1); print n * (u == "m" ? 60 : u == "h" ? 3600 : 1) }'; }

# One wrk run over the given "path body" lines; prints a report.
run() {
  local name=$1
  shift
  {
    echo "local requests = {"
    for r in "$@"; do
      # Lua long strings: the JSON needs no escaping.
      printf '  {"%s", [[%s]]},\n' "${r%% *}" "${r#* }"
    done
    echo "}"
    cat <<'EOF'
local i = 0
request = function()
  i = i + 1
  local r = requests[(i % #requests) + 1]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/json"}, r[2])
end
EOF
  } >"$dir/requests.lua"
  if [ "$MODE" = poll ]; then
    for r in "$@"; do
      curl -fsS -o /dev/null -H 'Content-Type: application/json' -d "${r#* }" "$url${r%% *}"
    done
  fi
  local sent_before coalesced_before hits_before misses_before stale_before refreshes_before
  sent_before=$(metric lviz_prometheus_queries_total)
  coalesced_before=$(metric lviz_prometheus_queries_coalesced_total)
  hits_before=$(metric lviz_response_cache_hits_total)
  misses_before=$(metric lviz_response_cache_misses_total)
  stale_before=$(metric lviz_response_cache_stale_total)
  refreshes_before=$(metric lviz_response_cache_refreshes_total)
  local sent coalesced hits misses stale refreshes requests rps p50 p99 non2xx socket secs bytes
  if [ "$PROTOCOL" = grpc ]; then
    echo "grpc_load: $name, $CONNECTIONS clients, $DURATION, cache TTL ${CACHE_TTL:-default}, against $grpc_addr" >&2
    target/release/examples/grpc_load --addr "$grpc_addr" --clients "$CONNECTIONS" \
      --duration "$(seconds "$DURATION")" --stat "${1#* }" >"$dir/grpc.txt"
    # The same lines as wrk's, for the report below.
    awk '/^requests:/ { print $2 " requests in" } /^requests\/s:/ { print "Requests/sec: " $2 }
         /^latency p50/ { print "50% " $5; print "99% " $7 } /^failed:/ { if ($2 > 0) print "Non-2xx or 3xx responses: " $2 }
         /^first failure:/ { print "Socket errors: " $0 }' "$dir/grpc.txt" >"$dir/wrk.txt"
  else
    echo "wrk: $name, $CONNECTIONS connections, $THREADS threads, $DURATION, cache TTL ${CACHE_TTL:-default}, against $url" >&2
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s "$dir/requests.lua" "$url" >"$dir/wrk.txt"
  fi
  sent=$(($(metric lviz_prometheus_queries_total) - sent_before))
  coalesced=$(($(metric lviz_prometheus_queries_coalesced_total) - coalesced_before))
  hits=$(($(metric lviz_response_cache_hits_total) - hits_before))
  misses=$(($(metric lviz_response_cache_misses_total) - misses_before))
  stale=$(($(metric lviz_response_cache_stale_total) - stale_before))
  refreshes=$(($(metric lviz_response_cache_refreshes_total) - refreshes_before))
  bytes=$(curl -fsS -o /dev/null -w '%{size_download}' -H 'Content-Type: application/json' -d "${1#* }" "$url${1%% *}")
  requests=$(awk '/requests in/ { print $1 }' "$dir/wrk.txt")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$dir/wrk.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$dir/wrk.txt")
  non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$dir/wrk.txt")
  socket=$(awk '/Socket errors/ { print }' "$dir/wrk.txt")
  secs=$(seconds "$DURATION")
  echo
  echo "== lviz serve ($PROTOCOL): $name =="
  echo "requests:                 $requests in $DURATION ($CONNECTIONS clients)"
  echo "requests/s:               $rps"
  echo "latency p50 / p99:        $p50 / $p99"
  echo "failed (non-2xx):         ${non2xx:-0}"
  echo "socket errors:            ${socket:-none}"
  echo "response body:            $bytes bytes (first request)"
  echo "response cache:           $hits fresh hits, $stale stale while refreshing, $misses computed while waiting, $refreshes refreshed in the background"
  echo "Prometheus queries sent:  $sent (+ $coalesced joined a flight)"
  awk -v s="$sent" -v t="$secs" 'BEGIN { printf "  per 10 s interval:      %.1f\n", s / (t / 10) }'
  if [ "${requests:-0}" -gt 0 ]; then
    awk -v s="$sent" -v r="$requests" 'BEGIN { printf "  per API request:        %.4f\n", s / r }'
  fi
}

one_ns=emojivoto
[ -n "$SCALE" ] && one_ns=scale-000
stat_ns="/api/v1/stat {\"resource_type\":\"deployment\",\"namespace\":\"$one_ns\",\"time_window\":\"1m\",\"tcp_stats\":true$at_field}"
stat_all="/api/v1/stat {\"resource_type\":\"deployment\",\"time_window\":\"1m\",\"tcp_stats\":true$at_field}"

if [ "$MODE" = poll ]; then
  # One query set: what one computation of the view sends.
  protocols=$PROTOCOL
  [ "$PROTOCOL" = both ] && protocols="json grpc"
  for PROTOCOL in $protocols; do
    run "stat deploy -n $one_ns (repeated)" "$stat_ns"
    run "stat deploy -A (repeated)" "$stat_all"
  done
else
  run "mix" \
    "$stat_ns" \
    "/api/v1/stat {\"resource_type\":\"pod\",\"namespace\":\"emojivoto\",\"tcp_stats\":true$at_field}" \
    "/api/v1/stat {\"resource_type\":\"deployment\",\"resource_name\":\"web\",\"namespace\":\"emojivoto\",\"from_resource_type\":\"deployment\",\"from_resource_name\":\"vote-bot\",\"from_namespace\":\"emojivoto\",\"tcp_stats\":true$at_field}" \
    "/api/v1/stat {\"resource_type\":\"namespace\",\"tcp_stats\":true$at_field}" \
    "/api/v1/top-routes {\"resource_type\":\"deployment\",\"resource_name\":\"web\",\"namespace\":\"emojivoto\"$at_field}" \
    "/api/v1/edges {\"resource_type\":\"deployment\"$at_field}" \
    "/api/v1/gateways {${at_field#,}}"
fi
