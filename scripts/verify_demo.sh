#!/usr/bin/env bash
# Checks the signatures of a live federation with the independent verifier:
# starts `deltabench demo` on loopback, waits until every node holds the
# summaries, endorsements and public ratings of all three jurisdictions,
# downloads each node's bundle (GET /api/v1/bundle with its viewer token),
# stops the demo, and runs
# scripts/verify_signing.py (written from docs/SIGNING.md) on the golden
# vectors and the three bundles. It also reads the first node's /metrics,
# asked with no Accept header and as Prometheus asks, with
# scripts/check_metrics.py (prometheus_client's two parsers), and checks with
# scripts/check_sdmx.py, while the demo runs, that pysdmx and sdmx1 read the
# first node's SDMX structures and its comparisons' SDMX-CSV together.
#
#   scripts/verify_demo.sh
#
# DELTABENCH_BIN names the binary (default target/debug/deltabench; it is not
# built here). WAIT_SECS bounds the wait for the demo (default 180). The
# verifier runs in a Python venv at target/pyverify with rfc8785, pynacl,
# and prometheus-client, pysdmx and sdmx1 (pinned) from PyPI, created when
# missing or when a pin changes. Ports are free ones picked on 127.0.0.1.
# The demo's folder, logs and bundles are removed at the end unless something
# failed or VERIFY_DEMO_KEEP=1.
# Exits non-zero when anything fails; the demo and its nodes are stopped on
# every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${DELTABENCH_BIN:-target/debug/deltabench}
WAIT_SECS=${WAIT_SECS:-180}
VENV=target/pyverify
VECTORS=crates/trust/tests/golden/vectors.json
CODES=(320585 320583 310114)

if [ ! -x "$BIN" ]; then
    echo "verify_demo: no binary at $BIN (cargo build -p deltabench)" >&2
    exit 1
fi

# ------------------------------------------------------------- the verifier
# The pinned packages; the venv is made again when one is missing or at
# another version.
PINS=(prometheus-client==0.26.0 "pysdmx[data,xml]==1.21.0" sdmx1==2.28.0)
venv_current() {
    "$VENV/bin/python" -c 'import rfc8785, nacl.signing' 2>/dev/null || return 1
    local pin name
    for pin in "${PINS[@]}"; do
        name=${pin%%==*}
        name=${name%%\[*}
        [ "$("$VENV/bin/pip" show "$name" 2>/dev/null | sed -n 's/^Version: //p')" = "${pin#*==}" ] || return 1
    done
}
if ! venv_current; then
    echo "== creating $VENV (rfc8785, pynacl, ${PINS[*]})"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check rfc8785 pynacl "${PINS[@]}"
fi
PY="$VENV/bin/python"

# ------------------------------------------------------------------ the demo
TMP=$(mktemp -d "${TMPDIR:-/tmp}/deltabench-verify.XXXXXX")
DATA="$TMP/demo"
LOG="$TMP/demo.log"
DEMO_PID=""
DEMO_STATUS=""
KEEP_TMP=${VERIFY_DEMO_KEEP:-}

# The node pids demo.json names (each node runs in its own process group).
node_pids() {
    [ -f "$DATA/demo.json" ] || return 0
    "$PY" -c 'import json,sys
for n in json.load(open(sys.argv[1])).get("nodes", []):
    if n.get("pid"): print(n["pid"])' "$DATA/demo.json" 2>/dev/null || true
}

stop_demo() {
    [ -n "$DEMO_PID" ] || return 0
    local nodes
    nodes=$(node_pids)
    if kill -0 "$DEMO_PID" 2>/dev/null; then
        # The demo runs in its own process group (setsid): SIGINT is its Ctrl-C.
        kill -INT -- "-$DEMO_PID" 2>/dev/null || kill -INT "$DEMO_PID" 2>/dev/null || true
        for _ in $(seq 1 600); do
            kill -0 "$DEMO_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$DEMO_PID" 2>/dev/null; then
            echo "verify_demo: the demo did not stop within 60 s of SIGINT; killing it" >&2
            kill -KILL -- "-$DEMO_PID" 2>/dev/null || true
        fi
    fi
    DEMO_STATUS=0
    wait "$DEMO_PID" 2>/dev/null || DEMO_STATUS=$?
    # Nodes the demo could not stop (it was killed, or failed early).
    for pid in $nodes; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    DEMO_PID=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_demo
    if [ "$status" -ne 0 ] || [ -n "$KEEP_TMP" ]; then
        if [ -f "$LOG" ]; then
            echo "-- the end of the demo's output ($LOG):" >&2
            tail -n 30 "$LOG" >&2 || true
        fi
        for f in "$DATA"/*/node.log; do
            [ -f "$f" ] || continue
            echo "-- the end of $f:" >&2
            tail -n 10 "$f" >&2 || true
        done
        echo "verify_demo: files kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Three consecutive free ports on loopback for the nodes' APIs.
BASE=$("$PY" scripts/free_ports.py 3)

echo "== starting the demo (API ports $BASE-$((BASE + 2)), data in $DATA)"
setsid "$BIN" demo --api-port-base "$BASE" --data-dir "$DATA" </dev/null >"$LOG" 2>&1 &
DEMO_PID=$!

# ----------------------------------------------------------------- waiting
DEADLINE=$((SECONDS + WAIT_SECS))
alive() {
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
        echo "verify_demo: the demo exited before the federation was ready" >&2
        exit 1
    fi
}
until [ -f "$DATA/demo.json" ]; do
    alive
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        echo "verify_demo: no $DATA/demo.json after $WAIT_SECS s" >&2
        exit 1
    fi
    sleep 0.5
done

# Each node's API and viewer token, as "API TOKEN" lines.
NODES=$("$PY" -c 'import json,sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    print(n["api"], n["viewer_token"])' "$DATA/demo.json")

# Whether one node's /api/v1/documents lists summaries, endorsements and
# public ratings and forecasts of every jurisdiction; prints what is missing otherwise.
complete() {
    curl -fsS --max-time 10 -H "Authorization: Bearer $2" "$1/api/v1/documents" 2>/dev/null |
        "$PY" -c 'import json,sys
docs = json.load(sys.stdin)["documents"]
missing = [f"{k} of {c}" for k in ("summary", "endorsement", "public_rating", "forecast", "hotline") for c in sys.argv[1:]
           if not any(d["kind"] == k and d["issuer"] == c for d in docs)]
if missing:
    print("missing " + ", ".join(missing))
    sys.exit(1)' "${CODES[@]}" 2>/dev/null
}

echo "== waiting (at most $WAIT_SECS s) for the demo to serve and every node to hold every jurisdiction's summaries, endorsements, public ratings and forecasts"
while :; do
    alive
    ready=1
    why="the demo has not said it is serving"
    grep -q "serving; press Ctrl-C" "$LOG" || ready=""
    while [ -n "$ready" ] && read -r api token; do
        if ! out=$(complete "$api" "$token"); then
            ready=""
            why="$api: ${out:-no answer}"
            break
        fi
    done <<<"$NODES"
    [ -n "$ready" ] && break
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        echo "verify_demo: not ready after $WAIT_SECS s; $why" >&2
        exit 1
    fi
    sleep 1
done

# -------------------------------------------------------------- the bundles
BUNDLES=()
i=0
while read -r api token; do
    out="$TMP/bundle-${CODES[$i]}.json"
    curl -fsS --max-time 60 -H "Authorization: Bearer $token" -o "$out" "$api/api/v1/bundle"
    echo "   $api: $(wc -c <"$out") bytes of bundle"
    BUNDLES+=(--bundle "$out")
    i=$((i + 1))
done <<<"$NODES"

# ------------------------------------------------------------------ metrics
read -r api _ <<<"$NODES"
curl -fsS --max-time 10 -o "$TMP/metrics.txt" "$api/metrics"
curl -fsS --max-time 10 -o "$TMP/metrics.om" \
    -H 'Accept: application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2' \
    "$api/metrics"

echo "== reading the SDMX structures and data with scripts/check_sdmx.py (pysdmx, sdmx1)"
read -r api token <<<"$NODES"
"$PY" scripts/check_sdmx.py --api "$api" --token "$token" "${CODES[@]/#/--member=}"

echo "== stopping the demo (SIGINT)"
stop_demo
if [ "$DEMO_STATUS" != 0 ] || ! grep -q "stopping the nodes" "$LOG"; then
    echo "verify_demo: the demo did not stop cleanly on SIGINT (exit status $DEMO_STATUS)" >&2
    exit 1
fi

echo "== verifying with scripts/verify_signing.py"
"$PY" scripts/verify_signing.py --vectors "$VECTORS" \
    --h3-cases crates/model/tests/golden/h3_cells.json "${BUNDLES[@]}"

echo "== reading /metrics with scripts/check_metrics.py"
"$PY" scripts/check_metrics.py --classic "$TMP/metrics.txt" --openmetrics "$TMP/metrics.om"
