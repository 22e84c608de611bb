#!/usr/bin/env bash
# Starts the three demonstration jurisdictions as separate `deltabench run`
# processes, step by step with the ordinary commands, without `deltabench demo`:
# the path an office follows to run its own node and join an alliance.
#
#   scripts/federation.sh [DIR]     (default: ./federation; API ports 8080-8082,
#                                    p2p ports 4001-4003, all on 127.0.0.1)
#
# It builds the release binary, creates one node per jurisdiction with
# `deltabench init`, drafts the yrd.tax roster and has two members approve it,
# joins all three, starts them (logs in DIR/<name>/node.log), loads each
# jurisdiction's sample data with `deltabench import`, publishes the 2024 and
# 2025 summaries, proposes and endorses the crosswalks, prints the comparison
# with `deltabench compare`, and stops the nodes on Ctrl-C. Tokens are written
# to DIR/<name>/tokens (readable by the owner only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${1:-federation}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
if [ -e "$DIR/taicang/node.toml" ]; then
  echo "error: $DIR already holds the federation; remove it or name another folder" >&2
  exit 2
fi

cargo build --release --quiet
BIN=$ROOT/target/release/deltabench
SAMPLES=$ROOT/node-config/samples

NAMES=(taicang kunshan jiading)
CODES=(320585 320583 310114)
ZH=(太仓市 昆山市 嘉定区)
EN=(Taicang Kunshan Jiading)
FRAMEWORKS=(taicang.hqd kunshan.perf jiading.gov)
PIDS=()

stop() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT

field() { # field NAME JSON: one string field of a JSON object
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$2"
}

echo "== 1. each office creates its node"
PEER0=""
for i in 0 1 2; do
  args=(init --jurisdiction "${CODES[$i]}" --name-zh "${ZH[$i]}" --name-en "${EN[$i]}"
        --dir "$DIR/${NAMES[$i]}" --api-listen "127.0.0.1:$((8080 + i))"
        --p2p-listen "/ip4/127.0.0.1/tcp/$((4001 + i))" --json)
  [ "$i" -gt 0 ] && args+=(--bootstrap "/ip4/127.0.0.1/tcp/4001/p2p/$PEER0")
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
  api="http://127.0.0.1:$((8080 + i))"
  for _ in $(seq 1 300); do
    curl -fs "$api/healthz" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "error: ${EN[$i]}'s node exited; see $DIR/${NAMES[$i]}/node.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "   ${EN[$i]}: $api (pid ${PIDS[$i]})"
done

echo "== 4. each office loads its data and publishes its summaries"
for i in 0 1 2; do
  node=(--node "http://127.0.0.1:$((8080 + i))" --token "${ADMIN[$i]}")
  s=$SAMPLES/${NAMES[$i]}
  "$BIN" import "${node[@]}" --kind framework "$s/framework.json"
  "$BIN" import "${node[@]}" --kind units "$s/units.json"
  "$BIN" import "${node[@]}" --kind observations "$s/observations-2024.csv"
  "$BIN" import "${node[@]}" --kind observations "$s/observations-2025.csv"
  for period in 2024 2025; do
    curl -fsS -X POST -H "Authorization: Bearer ${ADMIN[$i]}" -H 'content-type: application/json' \
      -d "{\"framework\": \"${FRAMEWORKS[$i]}\", \"version\": \"1.0.0\", \"period\": \"$period\"}" \
      "http://127.0.0.1:$((8080 + i))/api/v1/summaries" >/dev/null
  done
done

echo "== 5. Taicang publishes the reference framework and proposes the crosswalks"
T=(--node http://127.0.0.1:8080 --token "${ADMIN[0]}")
"$BIN" import "${T[@]}" --kind framework "$SAMPLES/yrd.tax/framework.json"
for f in kunshan.perf jiading.gov; do
  until curl -fs -H "Authorization: Bearer ${VIEWER[0]}" "http://127.0.0.1:8080/api/v1/frameworks/$f" >/dev/null; do sleep 0.2; done
done
files=()
for f in "$SAMPLES"/yrd.tax/crosswalks/*.json; do files+=(--file "$f"); done
"$BIN" crosswalk propose "${T[@]}" "${files[@]}"

echo "== 6. Kunshan and Jiading endorse them"
ids=()
for f in "$SAMPLES"/yrd.tax/crosswalks/*.json; do ids+=(--id "$(basename "$f" .json)"); done
for i in 1 2; do
  api="http://127.0.0.1:$((8080 + i))"
  until [ "$("$BIN" crosswalk list --node "$api" --token "${VIEWER[$i]}" | tail -n +2 | wc -l)" -ge 9 ]; do sleep 0.2; done
  "$BIN" crosswalk endorse --node "$api" --token "${ADMIN[$i]}" "${ids[@]}" --decision accept
done

echo "== 7. the harmonised comparison, from Jiading's node"
until [ "$("$BIN" crosswalk list --node http://127.0.0.1:8082 --token "${VIEWER[2]}" --status recognised | tail -n +2 | wc -l)" -ge 9 ]; do sleep 0.2; done
"$BIN" compare --node http://127.0.0.1:8082 --token "${VIEWER[2]}" --indicator yrd.tax/ontime_filing_rate --period 2025

echo "the three nodes run; tokens are in $DIR/*/tokens; press Ctrl-C to stop them"
wait
