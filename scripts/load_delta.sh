#!/usr/bin/env bash
# The delta mode of scripts/load.sh: comparisons at Delta scale, quiet and
# while documents arrive.
#
#   scripts/load.sh delta [SECONDS] [MEMBERS] [INDICATORS]   (defaults 30, 300, 200)
#
# 1. Generates a signed federation of MEMBERS jurisdictions with INDICATORS
#    indicators and 5 periods (deltabench generate-federation --synthetic),
#    plus a stream of further documents continuing the members' chains.
# 2. Starts one coordinator node (release build, 127.0.0.1 only), imports the
#    federation as ordinary bundles of 20,000 documents, and reports the
#    import rate and the node's resident memory.
# 3. Restarts the node and reports the time until it answers a comparison
#    (the harmonised view is built from the store at start).
# 4. Asks each reference indicator once (warm-up, not measured), then
#    drives GET /api/v1/comparisons with wrk (2 threads, 8 connections),
#    rotating over every reference indicator for the last period: once
#    quietly, once while the stream's documents arrive at 100 per second
#    (POST /api/v1/bundle, 10 every 0.1 s). Prints requests/s, p50 and p99
#    of both runs, their ratio, resident memory, and one JSON line with
#    every figure and goal.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
MEMBERS=${2:-300}
INDICATORS=${3:-200}
RATE=100
PORT=18790
command -v wrk >/dev/null || { echo "error: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "error: curl is not installed" >&2; exit 2; }

cargo build --release --quiet
BIN=$PWD/target/release/deltabench
DIR=$(mktemp -d)
NODE=""
FEED=""
stop_node() {
  if [ -n "$NODE" ]; then
    kill -INT "$NODE" 2>/dev/null || true
    wait "$NODE" 2>/dev/null || true
    NODE=""
  fi
}
cleanup() {
  [ -n "$FEED" ] && kill "$FEED" 2>/dev/null || true
  stop_node
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" init --jurisdiction 319900 --name-zh 长三角区域合作办公室 --name-en "Delta coordination office" \
  --dir "$DIR/coord" --api-listen "127.0.0.1:$PORT" --p2p-listen /ip4/127.0.0.1/tcp/0 --json >"$DIR/init.json"
ADMIN=$(python3 -c "import json; print(json.load(open('$DIR/init.json'))['admin_token'])")
VIEWER=$(python3 -c "import json; print(json.load(open('$DIR/init.json'))['viewer_token'])")
URL=http://127.0.0.1:$PORT

echo "== generating $MEMBERS members x $INDICATORS indicators x 5 periods, and a stream of documents"
t0=$(date +%s.%N)
"$BIN" generate-federation --out "$DIR/fed" --synthetic "$MEMBERS" --indicators "$INDICATORS" \
  --periods 2021-2025 --stream $((RATE * SECS * 2)) --join "$DIR/coord/node.toml" >"$DIR/gen.log" 2>&1 \
  || { cat "$DIR/gen.log" >&2; exit 1; }
t1=$(date +%s.%N)
DOCS=$(python3 scripts/load_delta.py split "$DIR/fed/bundle.json" "$DIR/parts" 20000)
rm "$DIR/fed/bundle.json"
echo "   $DOCS documents in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s"

start_node() {
  "$BIN" run --config "$DIR/coord/node.toml" >>"$DIR/node.log" 2>&1 &
  NODE=$!
}
PROBE="$URL/api/v1/comparisons?indicator=$(python3 -c "import json; print(json.load(open('$DIR/fed/federation.json'))['indicators'][0])")&period=2025"
# Waits until GET $2 answers 200; prints the seconds it took from $1.
wait_ready() {
  local from=$1 probe=$2
  for _ in $(seq 1 3000); do
    if curl -fs --max-time 30 -o /dev/null -H "Authorization: Bearer $VIEWER" "$probe"; then
      python3 -c "import time; print(f'{time.time() - $from:.2f}')"
      return 0
    fi
    kill -0 "$NODE" 2>/dev/null || { tail -20 "$DIR/node.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "error: the node did not answer $probe" >&2; tail -20 "$DIR/node.log" >&2; exit 1
}
rss_mib() { echo $(( $(ps -o rss= -p "$NODE") / 1024 )); }
# CPU seconds the node has used (user + system).
TICK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$NODE/stat"; }

start_node
wait_ready "$(date +%s.%N)" "$URL/metrics" >/dev/null
echo "== importing $DOCS documents in bundles of 20,000"
IMPORT=$(python3 scripts/load_delta.py import "$URL" "$ADMIN" "$DIR/parts")
echo "   $IMPORT"
RSS_IMPORTED=$(rss_mib)
echo "   resident memory after the import: $RSS_IMPORTED MiB"

echo "== restart: the view is built from the store"
stop_node
t=$(date +%s.%N)
start_node
READY=$(wait_ready "$t" "$PROBE")
BUILD_LOG=$(grep -o 'harmonised view built from the store.*' "$DIR/node.log" | tail -1 || true)
echo "   answering again after $READY s ($BUILD_LOG)"

N_IND=$(python3 scripts/load_delta.py lua "$DIR/fed/federation.json" 2025 "$INDICATORS" "$DIR/rotate.lua")
run_wrk() { # prints: requests/s p50 p99 errors
  wrk -t2 -c8 -d"${SECS}s" --latency -s "$DIR/rotate.lua" -H "Authorization: Bearer $VIEWER" "$URL" >"$DIR/wrk.txt"
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$DIR/wrk.txt")
  p50=$(awk '$1=="50%"{print $2}' "$DIR/wrk.txt")
  p99=$(awk '$1=="99%"{print $2}' "$DIR/wrk.txt")
  errors=$(grep -c "Non-2xx\|Socket errors" "$DIR/wrk.txt" || true)
  echo "$rps $p50 $p99 $errors"
}
# Warm-up, not measured: one request per indicator fills the answer cache,
# as a dashboard's first visits would.
python3 - "$DIR/fed/federation.json" "$N_IND" <<PY
import json, sys, urllib.request
refs = json.load(open(sys.argv[1]))["indicators"][: int(sys.argv[2])]
for r in refs:
    req = urllib.request.Request("$URL/api/v1/comparisons?indicator=" + r + "&period=2025",
                                 headers={"Authorization": "Bearer $VIEWER"})
    urllib.request.urlopen(req, timeout=120).read()
PY
echo "== quiet: comparisons over $N_IND indicators, ${SECS} s"
c0=$(cpu_s)
read -r q_rps q_p50 q_p99 q_err < <(run_wrk)
Q_CPU=$(python3 -c "print(round($(cpu_s) - $c0, 2))")
echo "   $q_rps requests/s, p50 $q_p50, p99 $q_p99 (error lines: $q_err); node CPU $Q_CPU s"
RSS_QUIET=$(rss_mib)

echo "== with ingest: $RATE documents/s arriving, ${SECS} s"
python3 scripts/load_delta.py feed "$URL" "$ADMIN" "$DIR/fed/stream.json" "$RATE" "$SECS" >"$DIR/feed.json" &
FEED=$!
c0=$(cpu_s)
read -r i_rps i_p50 i_p99 i_err < <(run_wrk)
I_CPU=$(python3 -c "print(round($(cpu_s) - $c0, 2))")
wait "$FEED" || { echo "error: the feeder failed" >&2; exit 1; }
FEED=""
echo "   $i_rps requests/s, p50 $i_p50, p99 $i_p99 (error lines: $i_err); node CPU $I_CPU s; fed $(cat "$DIR/feed.json")"
RSS_INGEST=$(rss_mib)
sleep 5
RSS_AFTER=$(rss_mib)
echo "   resident memory: after import $RSS_IMPORTED MiB, after the quiet run $RSS_QUIET MiB, after ingest $RSS_INGEST MiB, 5 s later $RSS_AFTER MiB"
curl -fs -H "Authorization: Bearer $VIEWER" "$URL/metrics" | grep '^deltabench_comparisons_answered_total' | sed 's/^/   /'

python3 - "$q_rps" "$q_p50" "$q_p99" "$i_rps" "$i_p50" "$i_p99" "$q_err" "$i_err" <<PY
import json, re, sys
def ms(s):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", s)
    v = float(m.group(1))
    return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]
q_rps, q_p50, q_p99, i_rps, i_p50, i_p99, q_err, i_err = sys.argv[1:]
q_rps, i_rps = float(q_rps), float(i_rps)
ratio = i_rps / q_rps
imp = json.loads('''$IMPORT''')
feed = json.loads(open("$DIR/feed.json").read())
goals = {
    "ingest_over_quiet_ge_0.8": ratio >= 0.8,
    "ingest_p99_le_5ms": ms(i_p99) <= 5,
    "quiet_rps_ge_5000": q_rps >= 5000,
}
print(f"   throughput with ingest / quiet: {ratio:.2f}")
for k, v in goals.items():
    print(f"   goal {k}: {'met' if v else 'NOT met'}")
print(json.dumps({
    "bench": "load_delta", "members": $MEMBERS, "indicators": $INDICATORS, "documents": $DOCS,
    "import": imp, "restart_ready_s": float("$READY"),
    "quiet": {"rps": q_rps, "p50_ms": ms(q_p50), "p99_ms": ms(q_p99), "error_lines": int(q_err)},
    "ingest": {"rps": i_rps, "p50_ms": ms(i_p50), "p99_ms": ms(i_p99), "error_lines": int(i_err),
               "fed": feed},
    "ratio_ingest_over_quiet": ratio,
    "node_cpu_s": {"quiet": $Q_CPU, "ingest": $I_CPU},
    "rss_mib": {"imported": $RSS_IMPORTED, "quiet": $RSS_QUIET, "ingest": $RSS_INGEST, "after": $RSS_AFTER},
    "goals": goals,
}))
PY
if [ "$q_err" != 0 ] || [ "$i_err" != 0 ]; then
  echo "FAIL load delta: wrk saw errors"; cat "$DIR/wrk.txt"; exit 1
fi
echo "PASS load delta"
