#!/usr/bin/env bash
# Runs the benchmarks and prints their figures with the machine they ran on.
#   scripts/bench.sh            all benchmarks
#   scripts/bench.sh ingest     one of them (ingest, appraisal, federation, compare)
#   scripts/bench.sh pandas     the comparison engine against pandas on the same data
#                               (scripts/vs_pandas.py; not part of `all`)
#   scripts/bench.sh scale [N...]  N nodes on loopback in one process (default 10 50 100):
#                               gossip latency, bytes, duplicates, memory, catch-up
#                               (DELTABENCH_SCALE_DOCS, _RATE, _DEGREE; not part of `all`)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -srm)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "rustc: $(rustc --version)"
case "${1:-all}" in
  all) cargo bench --workspace ;;
  ingest) cargo bench -p deltabench-node --bench ingest ;;
  appraisal) cargo bench -p deltabench-api --bench appraisal ;;
  federation) cargo bench -p deltabench --bench federation ;;
  compare) cargo bench -p deltabench-engine --bench compare ;;
  pandas) python3 scripts/vs_pandas.py ;;
  scale)
    shift
    if [ "$#" -gt 0 ]; then export DELTABENCH_SCALE_NODES="$*"; fi
    DELTABENCH_SCALE=1 cargo bench -p deltabench --bench scale ;;
  *) echo "unknown benchmark: $1" >&2; exit 2 ;;
esac
