#!/usr/bin/env bash
# Fault scenarios at full size, each reporting PASS or FAIL.
#
#   scripts/faults.sh crash [CYCLES] [SEED]
#       kill -9 at random moments during a stream of acknowledged writes
#       (observation corrections and summary publications), CYCLES times
#       (default 50); passes when no acknowledged write is lost and every
#       restart serves. CI runs the same test with 5 cycles.
#
#   scripts/faults.sh skew
#       a member whose clock runs 3 hours fast: its documents are refused as
#       issued_in_future, a 4-minute skew is accepted, the other members go
#       on, and the refused documents are accepted once their time comes.
#
#   scripts/faults.sh disk          (root: it mounts a 32 MiB tmpfs)
#       the node's disk fills up: writes answer 503 naming the full disk,
#       reads answer, and after room and a restart the data is exactly what
#       was acknowledged; on a read-only disk the node refuses to start,
#       saying why, and starts with its data intact once it is writable.
#
#   scripts/faults.sh partition [PUBLICATIONS]     (root and iproute2 for netns)
#       Taicang, Kunshan and Jiading, each in a network namespace of its own
#       joined by a bridge; during PUBLICATIONS (default 100) publications on
#       all three, one node is cut off from the bridge for a while (both sides
#       go on publishing), then reattached. Passes when the cut is noticed
#       (the cut-off node lists no peers, no one lists it) within 60 s, and
#       every node holds exactly the same documents, every acknowledged one
#       included, none twice, no equivocation, within a bound after the heal
#       (printed).
#       Without namespaces it falls back to restarting the cut-off node
#       isolated (no peers) and says so; DELTABENCH_PARTITION_MODE=process
#       forces that mode, and scripts/faults_partition.py names the other
#       settings. Uses the release build unless DELTABENCH_BIN is set.
#
#   scripts/faults.sh abuse
#       every route of the OpenAPI document called with malformed and
#       hostile input (about 2,000 requests): no 5xx, no panic, every error
#       problem+json, nothing stored by a refused write.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-}
case "$scenario" in
  crash)
    cycles=${2:-50}
    seed=${3:-24301}
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    if DELTABENCH_CRASH_CYCLES=$cycles DELTABENCH_CRASH_SEED=$seed \
        cargo test --quiet -p deltabench --test node \
        faults::acknowledged_writes_survive_kill_9_at_random_moments -- --nocapture >"$log" 2>&1; then
      grep "kill -9 cycles" "$log" || true
      echo "PASS crash ($cycles cycles, seed $seed)"
    else
      tail -n 40 "$log"
      echo "FAIL crash ($cycles cycles, seed $seed)"
      exit 1
    fi
    ;;
  skew)
    if cargo test --quiet -p deltabench-node \
        tests::documents_from_a_clock_hours_ahead_are_refused_with_their_own_reason >"${TMPDIR:-/tmp}/deltabench-skew.log" 2>&1; then
      echo "PASS skew"
    else
      tail -n 40 "${TMPDIR:-/tmp}/deltabench-skew.log"
      echo "FAIL skew"
      exit 1
    fi
    ;;
  disk)
    # Needs root: the node's folder is a small tmpfs that the scenario fills.
    if [ -n "${DELTABENCH_BIN:-}" ]; then
      bin=$DELTABENCH_BIN
    else
      cargo build --quiet -p deltabench
      bin=target/debug/deltabench
    fi
    python3 scripts/faults_disk.py "$bin" node-config/samples/taicang
    ;;
  abuse)
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    if cargo test --quiet -p deltabench-api --test api \
        every_route_survives_malformed_and_hostile_input -- --nocapture >"$log" 2>&1; then
      grep -i "requests" "$log" | tail -n 1 || true
      echo "PASS abuse"
    else
      tail -n 40 "$log"
      echo "FAIL abuse"
      exit 1
    fi
    ;;
  partition)
    publications=${2:-100}
    if [ -n "${DELTABENCH_BIN:-}" ]; then
      bin=$DELTABENCH_BIN
    else
      cargo build --quiet --release -p deltabench
      bin=target/release/deltabench
    fi
    python3 scripts/faults_partition.py "$bin" node-config/samples "$publications"
    ;;
  *)
    echo "usage: scripts/faults.sh crash [CYCLES] [SEED] | skew | disk | partition [PUBLICATIONS] | abuse" >&2
    exit 2
    ;;
esac
