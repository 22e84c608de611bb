#!/usr/bin/env bash
# Tests the API of one live node against its own OpenAPI document with
# schemathesis (https://schemathesis.io), every check on every operation:
# starts `deltabench demo` on loopback to fill the nodes with data (sample
# frameworks, units, observations, summaries, the yrd.tax roster, recognised
# crosswalks), stops it, restarts Taicang's node alone from the demo's folder
# (so the operations have documents, crosswalks and comparisons to work on,
# and nothing schemathesis writes travels anywhere), waits for its /healthz,
# and runs
#
#   schemathesis run URL/api/v1/openapi.json --checks all ...
#
# twice: once with the admin token and once with the viewer token. It exits
# non-zero when either run reports a failure (or cannot run). The other
# sweep of the API, every route called with malformed and hostile input
# (`every_route_survives_malformed_and_hostile_input` in
# crates/api/tests/api.rs, also `scripts/faults.sh abuse`), stays beside this
# one: it sends what schemathesis does not (bodies over the size limit,
# nesting 20,000 deep, invalid UTF-8, path traversal, bad Authorization
# headers).
#
#   scripts/schemathesis.sh
#
# DELTABENCH_BIN names the binary (default target/debug/deltabench; it is not
# built here). WAIT_SECS bounds the wait for the demo, and then for the node
# (default 180 each). ST_MAX_EXAMPLES (default 50) is schemathesis's
# --max-examples, the test cases per operation and phase (each run then takes
# about half a minute on two cores); ST_SEED (default 20240611) its --seed, so
# that a run can be repeated. ST_REPORT_DIR (default
# target/schemathesis) receives each run's output, JUnit report and the
# node's log; it is emptied at the start, and removed at the end when
# everything passed unless SCHEMATHESIS_KEEP=1. schemathesis runs in a Python
# venv at target/pyschema (the version pinned below, from PyPI), created when
# missing or of another version. Ports are free ones picked on 127.0.0.1; the
# node's data lives in a temporary folder removed on every exit path, and the
# demo and the node are stopped on every exit path.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${DELTABENCH_BIN:-target/debug/deltabench}
WAIT_SECS=${WAIT_SECS:-180}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-50}
SEED=${ST_SEED:-20240611}
REPORTS=${ST_REPORT_DIR:-target/schemathesis}
KEEP_REPORTS=${SCHEMATHESIS_KEEP:-}
VENV=target/pyschema
SCHEMATHESIS=schemathesis==4.32.5

if [ ! -x "$BIN" ]; then
    echo "schemathesis: no binary at $BIN (cargo build -p deltabench)" >&2
    exit 1
fi

# ------------------------------------------------------------- schemathesis
if [ "$("$VENV/bin/pip" show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" != "${SCHEMATHESIS#*==}" ]; then
    echo "== creating $VENV ($SCHEMATHESIS)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SCHEMATHESIS"
fi
PY="$VENV/bin/python"
ST="$VENV/bin/schemathesis"

# ------------------------------------------------------------ the demo's data
TMP=$(mktemp -d "${TMPDIR:-/tmp}/deltabench-schemathesis.XXXXXX")
DATA="$TMP/demo"
DEMO_LOG="$TMP/demo.log"
NODE_LOG="$TMP/node.log"
DEMO_PID=""
NODE_PID=""
ST_PID=""
rm -rf "$REPORTS"
mkdir -p "$REPORTS"

# Stops a process group started with setsid: SIGINT (the node's and the
# demo's Ctrl-C), then SIGKILL after 60 s. Sets STOP_STATUS to its exit status.
STOP_STATUS=""
stop_group() {
    local pid=$1 what=$2
    STOP_STATUS=0
    if kill -0 "$pid" 2>/dev/null; then
        kill -INT -- "-$pid" 2>/dev/null || kill -INT "$pid" 2>/dev/null || true
        for _ in $(seq 1 600); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "schemathesis: $what did not stop within 60 s of SIGINT; killing it" >&2
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || STOP_STATUS=$?
}

# The node pids demo.json names (each node runs in its own process group).
demo_node_pids() {
    [ -f "$DATA/demo.json" ] || return 0
    "$PY" -c 'import json,sys
for n in json.load(open(sys.argv[1])).get("nodes", []):
    if n.get("pid"): print(n["pid"])' "$DATA/demo.json" 2>/dev/null || true
}

stop_demo() {
    [ -n "$DEMO_PID" ] || return 0
    local nodes
    nodes=$(demo_node_pids)
    stop_group "$DEMO_PID" "the demo"
    # Nodes the demo could not stop (it was killed, or failed early).
    for pid in $nodes; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    DEMO_PID=""
}

stop_node() {
    [ -n "$NODE_PID" ] || return 0
    stop_group "$NODE_PID" "the node"
    NODE_PID=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$ST_PID" ]; then
        kill -TERM "$ST_PID" 2>/dev/null || true
        wait "$ST_PID" 2>/dev/null || true
    fi
    stop_node
    stop_demo
    if [ "$status" -ne 0 ]; then
        for f in "$DEMO_LOG" "$NODE_LOG"; do
            [ -f "$f" ] || continue
            cp "$f" "$REPORTS/" 2>/dev/null || true
            echo "-- the end of $(basename "$f"):" >&2
            tail -n 15 "$f" >&2 || true
        done
    fi
    # The node's data holds whatever schemathesis wrote with the admin token.
    rm -rf "$TMP"
    if [ "$status" -ne 0 ] || [ -n "$KEEP_REPORTS" ]; then
        echo "schemathesis: reports kept in $REPORTS" >&2
    else
        rm -rf "$REPORTS"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Three consecutive free ports on loopback for the demo nodes' APIs; the
# first is Taicang's, which the node keeps when it runs alone.
BASE=$("$PY" scripts/free_ports.py 3)

echo "== filling the nodes with the demo's data (API ports $BASE-$((BASE + 2)), data in $DATA)"
STARTED=$SECONDS
setsid "$BIN" demo --api-port-base "$BASE" --data-dir "$DATA" </dev/null >"$DEMO_LOG" 2>&1 &
DEMO_PID=$!
DEADLINE=$((SECONDS + WAIT_SECS))
until grep -q "serving; press Ctrl-C" "$DEMO_LOG"; do
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
        echo "schemathesis: the demo exited before it served" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        echo "schemathesis: the demo did not serve within $WAIT_SECS s" >&2
        exit 1
    fi
    sleep 0.5
done
stop_demo
if [ "$STOP_STATUS" != 0 ]; then
    echo "schemathesis: the demo did not stop cleanly on SIGINT (exit status $STOP_STATUS)" >&2
    exit 1
fi
echo "   ready and stopped in $((SECONDS - STARTED)) s"

# Taicang's entry of demo.json: "API CONFIG ADMIN VIEWER".
read -r API CONFIG ADMIN VIEWER < <("$PY" -c 'import json,sys
n = json.load(open(sys.argv[1]))["nodes"][0]
print(n["api"], n["config"], n["admin_token"], n["viewer_token"])' "$DATA/demo.json")

# ------------------------------------------------------------------ the node
echo "== starting Taicang's node alone at $API"
setsid "$BIN" run --config "$CONFIG" </dev/null >"$NODE_LOG" 2>&1 &
NODE_PID=$!
DEADLINE=$((SECONDS + WAIT_SECS))
until curl -fsS --max-time 5 -o /dev/null "$API/healthz" 2>/dev/null; do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
        echo "schemathesis: the node exited before it answered /healthz" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$DEADLINE" ]; then
        echo "schemathesis: no answer from $API/healthz within $WAIT_SECS s" >&2
        exit 1
    fi
    sleep 0.2
done

# ------------------------------------------------------------- schemathesis
# Every check runs on every operation (--checks all). One check is narrowed,
# on the operations named below, for a reason this API documents:
#
# positive_data_acceptance expects a request that matches the schema to be
# accepted (2xx, or 401/403/404/409). These writes also answer 400, with
# `detail` naming the field (the 400 every operation with input documents),
# when a well-formed request contradicts what the node holds or needs a
# signature, which no JSON Schema can state and no generator can produce:
#   POST /api/v1/observations  each row must name a unit the node holds and an
#       indicator of its own frameworks ("a bad row rejects the whole request
#       with 400 naming row and column", CONTRACT.md);
#   POST /api/v1/units         each unit's category must be a category of the
#       node's own frameworks (400 naming units[i].category);
#   POST /api/v1/frameworks    the owner must be this node or an alliance it
#       belongs to, and `previous` the latest version published (400 naming
#       owner or previous);
#   POST /api/v1/crosswalks    the source and target must be indicators of
#       frameworks the node holds (400 naming source.framework and the like);
#   POST /api/v1/rosters       the body is the next roster version approved
#       by Ed25519 signatures of its threshold of members, which random data
#       never carries;
#   POST /api/v1/projects      each project's unit must be one of the node's
#       units (400 naming projects[i].unit);
#   POST /public/v1/ratings    the code must be one the office issued for the
#       project, which random data never is (400 naming code, as the
#       operation documents);
#   POST /api/v1/whatif        each change must name a category, indicator
#       or unit the framework and the node hold, and leave a valid framework
#       (weights summing to 100; 400 naming changes.KIND[i]);
#   POST /api/v1/debt          comprehensive resources must be above 0 and
#       amounts not negative (400 naming actuals[i].FIELD);
#   POST /api/v1/hotline/tickets  each request must name one of the node's
#       units as its department and carry an id, a category and an
#       acceptance time (400 naming row and column, as CONTRACT.md says);
#   POST /api/v1/composites    the weights must lie within a factor 1e100 of
#       one another (a relation between values that JSON Schema cannot state);
#       and 422 when no member holds every indicator, as the operation
#       documents;
#   POST /api/v1/public-ratings  422 naming period when no project category
#       reaches k counted ratings in the period, as the operation documents
#       (a generated period has no ratings);
#   POST /api/v1/forecast-commitments  422 naming period when no indicator
#       of the framework has monthly values of the year to forecast from, as
#       the operation documents (a generated year has none);
#   POST /api/v1/hotline/summaries  422 naming period when no request was
#       accepted in it, as the operation documents (a generated period has
#       none).
# Everything else about these operations (5xx, status codes and content types
# as documented, response schemas, schema-violating input rejected, auth) is
# still checked.
#
# The cache of earlier failures, which schemathesis would otherwise keep in
# .schemathesis/ and replay first, is off: every run starts from the seed alone.
write_config() {
    cat <<'TOML'
[cache]
enabled = false

[[operations]]
include-name = [
    "POST /api/v1/observations",
    "POST /api/v1/units",
    "POST /api/v1/frameworks",
    "POST /api/v1/crosswalks",
    "POST /api/v1/rosters",
    "POST /api/v1/projects",
    "POST /public/v1/ratings",
    "POST /api/v1/whatif",
    "POST /api/v1/debt",
    "POST /api/v1/hotline/tickets",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = [
    "POST /api/v1/composites",
    "POST /api/v1/public-ratings",
    "POST /api/v1/forecast-commitments",
    "POST /api/v1/hotline/summaries",
]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
TOML
}
CONFIG_FILE="$REPORTS/schemathesis.toml"
write_config >"$CONFIG_FILE"

FAILED=()
for role in admin viewer; do
    if [ "$role" = admin ]; then token=$ADMIN; else token=$VIEWER; fi
    out="$REPORTS/$role"
    mkdir -p "$out"
    echo "== schemathesis with the $role token (--max-examples $MAX_EXAMPLES --seed $SEED)"
    started=$SECONDS
    status=0
    "$ST" --config-file "$CONFIG_FILE" run "$API/api/v1/openapi.json" \
        --checks all \
        --header "Authorization: Bearer $token" \
        --max-examples "$MAX_EXAMPLES" \
        --continue-on-failure \
        --seed "$SEED" \
        --generation-database none \
        --request-timeout 60 \
        --workers 1 \
        --no-color \
        --report junit,ndjson \
        --report-dir "$out" \
        >"$out/output.txt" 2>&1 &
    # Waited for in the background, so that SIGINT or SIGTERM stops it and
    # the node at once rather than after the run.
    ST_PID=$!
    wait "$ST_PID" || status=$?
    ST_PID=""
    tail -n 25 "$out/output.txt"
    echo "   the $role run took $((SECONDS - started)) s, exit status $status"
    if [ "$status" -ne 0 ]; then
        FAILED+=("$role")
    fi
    if ! kill -0 "$NODE_PID" 2>/dev/null; then
        echo "schemathesis: the node exited during the $role run" >&2
        exit 1
    fi
done

stop_node
if [ "$STOP_STATUS" != 0 ]; then
    echo "schemathesis: the node did not stop cleanly on SIGINT (exit status $STOP_STATUS)" >&2
    exit 1
fi
if [ "${#FAILED[@]}" -gt 0 ]; then
    roles="${FAILED[*]}"
    echo "schemathesis: failures with the ${roles// / and } token (see $REPORTS/ROLE/output.txt)" >&2
    exit 1
fi
echo "PASS schemathesis (admin and viewer)"
