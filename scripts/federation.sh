#!/usr/bin/env bash
# Starts the three demonstration jurisdictions as separate `deltabench run`
# processes, step by step with the ordinary commands, without `deltabench demo`:
# the path an office follows to run its own node and join an alliance.
#
#   scripts/federation.sh [DIR]     (default: ./federation; API ports 8080-8082,
#                                    p2p ports 4001-4003, all on 127.0.0.1)
#
# API_PORT_BASE and P2P_PORT_BASE move the ports; DELTABENCH_BIN names a
# binary to use instead of building the release one. Every wait is bounded
# (WAIT_SECS, default 120) and ends the script with an error naming what did
# not happen.
#
# It builds the release binary, creates one node per jurisdiction with
# `deltabench init`, drafts the yrd.tax roster and has two members approve it,
# joins all three, starts them (logs in DIR/<name>/node.log), loads each
# jurisdiction's sample data with `deltabench import`, publishes the 2024 and
# 2025 summaries, proposes and endorses the crosswalks, prints the comparison
# with `deltabench compare`, and stops the nodes on Ctrl-C. Tokens are written
# to DIR/<name>/tokens (readable by the owner only).
set -euo pipefail
# DIR is taken relative to where the script was called from.
DIR=${1:-federation}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ -e "$DIR/taicang/node.toml" ]; then
  echo "error: $DIR already holds the federation; remove it or name another folder" >&2
  exit 2
fi

if [ -n "${DELTABENCH_BIN:-}" ]; then
  BIN=$DELTABENCH_BIN
else
  cargo build --release --quiet
  BIN=$ROOT/target/release/deltabench
fi
API=${API_PORT_BASE:-8080}
P2P=${P2P_PORT_BASE:-4001}
WAIT_SECS=${WAIT_SECS:-120}
SAMPLES=$ROOT/node-config/samples

NAMES=(taicang kunshan jiading)
CODES=(320585 320583 310114)
ZH=(太仓市 昆山市 嘉定区)
EN=(Taicang Kunshan Jiading)
FRAMEWORKS=(taicang.hqd kunshan.perf jiading.gov)
PIDS=()

# Stops the nodes: SIGTERM (a graceful stop), then SIGKILL for any node still
# running 10 s later.
stop() {
  [ "${#PIDS[@]}" -eq 0 ] && return
  kill -TERM "${PIDS[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do
    running=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && running=1; done
    [ "$running" -eq 0 ] && break
    sleep 0.1
  done
  kill -KILL "${PIDS[@]}" 2>/dev/null || true
  wait "${PIDS[@]}" 2>/dev/null || true
}
trap stop EXIT

field() { # field NAME JSON: one string field of a JSON object
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"
}

# wait_until WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds, for
# at most WAIT_SECS; fails naming WHAT.
wait_until() {
  local what=$1; shift
  local tries=$((WAIT_SECS * 5))
  until "$@" >/dev/null 2>&1; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then echo "error: timed out after ${WAIT_SECS} s waiting for $what" >&2; exit 1; fi
    sleep 0.2
  done
}

# at_least N COMMAND...: whether COMMAND prints at least N lines after its header.
at_least() {
  local n=$1; shift
  [ "$("$@" | tail -n +2 | wc -l)" -ge "$n" ]
}

echo "== 1. each office creates its node"
PEER0=""
for i in 0 1 2; do
  args=(init --jurisdiction "${CODES[$i]}" --name-zh "${ZH[$i]}" --name-en "${EN[$i]}"
        --dir "$DIR/${NAMES[$i]}" --api-listen "127.0.0.1:$((API + i))"
        --p2p-listen "/ip4/127.0.0.1/tcp/$((P2P + i))" --json)
  [ "$i" -gt 0 ] && args+=(--bootstrap "/ip4/127.0.0.1/tcp/$P2P/p2p/$PEER0")
  out=$("$BIN" "${args[@]}")
  [ "$i" -eq 0 ] && PEER0=$(field peer_id "$out")
  KEY[$i]=$(field public_key "$out")
  ADMIN[$i]=$(field admin_token "$out")
  VIEWER[$i]=$(field viewer_token "$out")
  (umask 077; printf 'admin %s\nviewer %s\n' "${ADMIN[$i]}" "${VIEWER[$i]}" > "$DIR/${NAMES[$i]}/tokens")
  echo "   ${EN[$i]} (${CODES[$i]}): $DIR/${NAMES[$i]}/node.toml"
done

echo "== 2. the alliance's roster: drafted, approved by two members, joined by all"
ROSTER=$DIR/yrd.tax.v1.json
members=()
for i in 0 1 2; do members+=(--member "${CODES[$i]},${KEY[$i]},${ZH[$i]},${EN[$i]}"); done
"$BIN" roster new --alliance yrd.tax --threshold 2 --reference-framework yrd.tax \
  --recognition-quorum 2 "${members[@]}" --out "$ROSTER"
for i in 0 1; do "$BIN" roster approve --config "$DIR/${NAMES[$i]}/node.toml" --roster "$ROSTER"; done
for i in 0 1 2; do "$BIN" roster join --config "$DIR/${NAMES[$i]}/node.toml" --roster "$ROSTER"; done

echo "== 3. each office starts its node"
for i in 0 1 2; do
  "$BIN" run --config "$DIR/${NAMES[$i]}/node.toml" >>"$DIR/${NAMES[$i]}/node.log" 2>&1 &
  PIDS+=($!)
  api="http://127.0.0.1:$((API + i))"
  for _ in $(seq 1 $((WAIT_SECS * 10))); do
    curl -fs --max-time 5 "$api/healthz" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "error: ${EN[$i]}'s node exited; see $DIR/${NAMES[$i]}/node.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -fs --max-time 5 "$api/healthz" >/dev/null || { echo "error: ${EN[$i]}'s node does not answer on $api" >&2; exit 1; }
  echo "   ${EN[$i]}: $api (pid ${PIDS[$i]})"
done

echo "== 4. each office loads its data and publishes its summaries"
for i in 0 1 2; do
  node=(--node "http://127.0.0.1:$((API + i))" --token "${ADMIN[$i]}")
  s=$SAMPLES/${NAMES[$i]}
  "$BIN" import "${node[@]}" --kind framework "$s/framework.json"
  "$BIN" import "${node[@]}" --kind units "$s/units.json"
  "$BIN" import "${node[@]}" --kind observations "$s/observations-2024.csv"
  "$BIN" import "${node[@]}" --kind observations "$s/observations-2025.csv"
  for period in 2024 2025; do
    "$BIN" summary "${node[@]}" --framework "${FRAMEWORKS[$i]}" --framework-version 1.0.0 --period "$period"
  done
done

echo "== 5. Taicang publishes the reference framework and proposes the crosswalks"
T=(--node "http://127.0.0.1:$API" --token "${ADMIN[0]}")
"$BIN" import "${T[@]}" --kind framework "$SAMPLES/yrd.tax/framework.json"
for f in kunshan.perf jiading.gov; do
  wait_until "Taicang to receive $f" \
    curl -fs --max-time 5 -H "Authorization: Bearer ${VIEWER[0]}" "http://127.0.0.1:$API/api/v1/frameworks/$f"
done
files=()
for f in "$SAMPLES"/yrd.tax/crosswalks/*.json; do files+=(--file "$f"); done
"$BIN" crosswalk propose "${T[@]}" "${files[@]}"

echo "== 6. Kunshan and Jiading endorse them"
ids=()
for f in "$SAMPLES"/yrd.tax/crosswalks/*.json; do ids+=(--id "$(basename "$f" .json)"); done
for i in 1 2; do
  api="http://127.0.0.1:$((API + i))"
  wait_until "${EN[$i]} to receive the 9 crosswalks" \
    at_least 9 "$BIN" crosswalk list --node "$api" --token "${VIEWER[$i]}"
  "$BIN" crosswalk endorse --node "$api" --token "${ADMIN[$i]}" "${ids[@]}" --decision accept
done

echo "== 7. the harmonised comparison, from Jiading's node"
J=http://127.0.0.1:$((API + 2))
wait_until "Jiading to recognise the 9 crosswalks" \
  at_least 9 "$BIN" crosswalk list --node "$J" --token "${VIEWER[2]}" --status recognised
"$BIN" compare --node "$J" --token "${VIEWER[2]}" --indicator yrd.tax/ontime_filing_rate --period 2025

echo "the dashboards:"
for i in 0 1 2; do
  echo "   ${EN[$i]}: http://127.0.0.1:$((API + i))/#/comparison?token=${VIEWER[$i]}&indicator=yrd.tax/ontime_filing_rate&period=2025"
done
echo "the three nodes run; tokens are in $DIR/*/tokens; press Ctrl-C to stop them"
wait
