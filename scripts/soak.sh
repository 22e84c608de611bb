#!/usr/bin/env bash
# Soak: the demo federation under steady load for MINUTES (default 30), with
# the resident memory of each node sampled every minute.
#
#   scripts/soak.sh [MINUTES]      (needs wrk, curl and python3)
#
# Load: wrk on Taicang's comparison route (1 thread, 2 connections, so the
# two cores are not saturated) and Kunshan publishing an endorsement every
# second, which gossips to both other nodes. Pass criterion: the memory curve
# is flat: for every node, the mean RSS of the last third of the samples is
# within 20% of the mean of the middle third (the first third is warm-up),
# and the API answered without errors.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
BASE=18800
command -v wrk >/dev/null || { echo "error: wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }
cargo build --release --quiet
BIN=target/release/deltabench
DIR=$(mktemp -d)
DEMO="" INGEST="" WRK=""
cleanup() {
  for p in $INGEST $WRK; do kill "$p" 2>/dev/null || true; done
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
field() { python3 -c "import json; print(json.load(open('$DIR/demo/demo.json'))['nodes'][$1]['$2'])"; }
PIDS=("$(field 0 pid)" "$(field 1 pid)" "$(field 2 pid)")
VIEWER=$(field 0 viewer_token)
K_ADMIN=$(field 1 admin_token)

wrk -t1 -c2 -d"$((MINUTES * 60 + 30))s" --latency -H "Authorization: Bearer $VIEWER" \
  "http://127.0.0.1:$BASE/api/v1/comparisons?indicator=yrd.tax/ontime_filing_rate&period=2025" \
  >"$DIR/wrk.txt" &
WRK=$!
(
  while true; do
    "$BIN" crosswalk endorse --node "http://127.0.0.1:$((BASE + 1))" --token "$K_ADMIN" \
      --id kunshan.satisfaction --decision accept --comment "soak $(date +%s)" >/dev/null 2>&1 || true
    sleep 1
  done
) &
INGEST=$!

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
echo "minute  Taicang_KiB  Kunshan_KiB  Jiading_KiB  Taicang_documents"
: >"$DIR/samples"
for m in $(seq 1 "$MINUTES"); do
  sleep 60
  docs=$(curl -fs --max-time 10 -H "Authorization: Bearer $VIEWER" "http://127.0.0.1:$BASE/api/v1/documents" \
    | python3 -c "import json,sys; print(len(json.load(sys.stdin)['documents']))")
  line="$m $(rss "${PIDS[0]}") $(rss "${PIDS[1]}") $(rss "${PIDS[2]}") $docs"
  echo "$line" | tee -a "$DIR/samples"
done
kill "$INGEST" 2>/dev/null || true
wait "$WRK" 2>/dev/null || true
WRK=""
sed -n 's/^Requests\/sec: *\(.*\)/requests\/s: \1/p; /^ *99%/p; /Non-2xx\|Socket errors/p' "$DIR/wrk.txt"

python3 - "$DIR/samples" "$DIR/wrk.txt" <<'PY'
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
errors = any(("Non-2xx" in l or "Socket errors" in l) for l in open(sys.argv[2]))
n = len(rows)
ok = not errors and n >= 3
for i, name in enumerate(["Taicang", "Kunshan", "Jiading"], start=1):
    col = [r[i] for r in rows]
    mid = col[n // 3: 2 * n // 3] or col
    last = col[2 * n // 3:] or col
    a, b = sum(mid) / len(mid), sum(last) / len(last)
    flat = b <= 1.2 * a
    ok &= flat
    print(f"{name}: RSS middle third {a / 1024:.1f} MiB, last third {b / 1024:.1f} MiB, ratio {b / a:.2f}"
          f" ({'flat' if flat else 'GROWING'})")
print("PASS soak" if ok else "FAIL soak")
sys.exit(0 if ok else 1)
PY
