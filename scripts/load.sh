#!/usr/bin/env bash
# Sustained API load on comparisons, with and without ingest.
#
#   scripts/load.sh [SECONDS]        the demo federation (default 30 s per run)
#   scripts/load.sh delta [SECONDS] [MEMBERS] [INDICATORS]
#                                    one coordinator holding the generated Delta
#                                    federation (default 300 members x 200
#                                    indicators, about 182,000 documents); see
#                                    the delta section below
# Both need wrk, curl and python3.
#
# Starts the demo federation (release build) on 127.0.0.1:18700-18702, then
# drives GET /api/v1/comparisons on Taicang's node with wrk (2 threads, 8
# connections): once quietly, once while Kunshan publishes endorsements that
# gossip to Taicang (each new document there also invalidates the comparison
# cache). Prints requests/s and p50/p99 latency of both runs and the documents
# Taicang ingested during the second.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = delta ]; then
  shift
  exec bash scripts/load_delta.sh "$@"
fi
SECS=${1:-30}
BASE=18700
command -v wrk >/dev/null || { echo "error: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "error: curl is not installed" >&2; exit 2; }

cargo build --release --quiet
BIN=target/release/deltabench
DIR=$(mktemp -d)
DEMO=""
INGEST=""
cleanup() {
  [ -n "$INGEST" ] && kill "$INGEST" 2>/dev/null || true
  [ -n "$DEMO" ] && kill -INT "$DEMO" 2>/dev/null && wait "$DEMO" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"$BIN" demo --api-port-base "$BASE" --data-dir "$DIR/demo" >"$DIR/demo.log" 2>&1 &
DEMO=$!
for _ in $(seq 1 600); do
  grep -q "press Ctrl-C" "$DIR/demo.log" && break
  kill -0 "$DEMO" 2>/dev/null || { cat "$DIR/demo.log" >&2; exit 1; }
  sleep 0.2
done
grep -q "press Ctrl-C" "$DIR/demo.log" || { echo "error: the demo did not start" >&2; exit 1; }

token() { python3 -c "import json,sys; print(json.load(open('$DIR/demo/demo.json'))['nodes'][$1]['$2'])"; }
VIEWER=$(token 0 viewer_token)
K_ADMIN=$(token 1 admin_token)
T=http://127.0.0.1:$BASE
K=http://127.0.0.1:$((BASE + 1))
URL="$T/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025"
accepted() { curl -fs --max-time 5 "$T/metrics" | sed -n 's/^deltabench_documents_accepted_total \(.*\)/\1/p'; }

run_wrk() { # prints: requests/s p50 p99
  wrk -t2 -c8 -d"${SECS}s" --latency -H "Authorization: Bearer $VIEWER" "$URL" >"$DIR/wrk.txt"
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$DIR/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$DIR/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$DIR/wrk.txt")
  errors=$(grep -c "Non-2xx\|Socket errors" "$DIR/wrk.txt" || true)
  echo "$rps $p50 $p99 $errors"
}

echo "== quiet: comparisons only, ${SECS} s"
read -r q_rps q_p50 q_p99 q_err < <(run_wrk)
echo "   $q_rps requests/s, p50 $q_p50, p99 $q_p99 (error lines: $q_err)"

echo "== with ingest: Kunshan publishes endorsements that gossip to Taicang, ${SECS} s"
before=$(accepted)
(
  while true; do
    "$BIN" crosswalk endorse --node "$K" --token "$K_ADMIN" --id kunshan.satisfaction \
      --decision accept --comment "load $(date +%s%N)" >/dev/null 2>&1 || true
  done
) &
INGEST=$!
read -r i_rps i_p50 i_p99 i_err < <(run_wrk)
kill "$INGEST" 2>/dev/null || true
wait "$INGEST" 2>/dev/null || true
INGEST=""
after=$(accepted)
ingested=$(python3 -c "print(int(float('$after') - float('$before')))")
echo "   $i_rps requests/s, p50 $i_p50, p99 $i_p99 (error lines: $i_err); Taicang ingested $ingested documents"
python3 -c "print('   throughput with ingest / quiet: %.2f' % (float('$i_rps') / float('$q_rps')))"
if [ "$q_err" != 0 ] || [ "$i_err" != 0 ]; then
  echo "FAIL load: wrk saw errors"; cat "$DIR/wrk.txt"; exit 1
fi
echo "PASS load"
