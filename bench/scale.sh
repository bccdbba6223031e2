#!/usr/bin/env bash
# Scale benchmark (a measurement, not a test): builds lviz and lviz-bench in release, then for
# each size loads Mesh::scaled(100×N, 10, 3) into a real Prometheus + the fake Kubernetes API
# and compares lviz's query plan with Linkerd's (see crates/testkit/src/bin/lviz-bench/).
#
#   bench/scale.sh                 # 1× (100 namespaces × 10 deployments × 3 pods), 3 min of data
#   SCALES="1 3" bench/scale.sh    # 1× and 3×
#   SCALES=10 RUNS=3 ONLY="stat deploy,stat po" bench/scale.sh
#   ONLY="stat-inbound,stat-outbound" bench/scale.sh   # the Linkerd 2.16+ views
#   RUNS=7 MINUTES=10 bench/scale.sh
#
# Queries use [1m] windows: 3 minutes of data touch the same series as 10, in a third of the
# backfill. Big meshes are backfilled in shards and measured after Prometheus merged them.
#
# Results (Markdown) go to bench/results/scale-<N>x.md and stdout. Needs Debian's prometheus
# package (prometheus + promtool) and GNU time (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

SCALES=${SCALES:-1}
RUNS=${RUNS:-5}
MINUTES=${MINUTES:-3}
ONLY=${ONLY:-}

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time for peak RSS…" >&2
  apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
command -v promtool >/dev/null || { echo "promtool not found: apt-get install prometheus" >&2; exit 1; }

cargo build --release --bin lviz
cargo build --release -p lviz-testkit --bin lviz-bench
# A private copy, so a concurrent build cannot swap the binary mid-run.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp target/release/lviz "$work/lviz"

mkdir -p bench/results
for n in $SCALES; do
  out=bench/results/scale-${n}x.md
  echo "== ${n}× ==" >&2
  /usr/bin/time -v -o "bench/results/scale-${n}x.bench-time.txt" \
    target/release/lviz-bench --namespaces $((100 * n)) --deployments 10 --pods 3 \
    --minutes "$MINUTES" --runs "$RUNS" --lviz "$work/lviz" ${ONLY:+--only "$ONLY"} | tee "$out"
done
