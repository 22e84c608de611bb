#!/usr/bin/env bash
# Runs the memory benchmark (crates/node/benches/memory.rs) in its variants,
# one after the other, and prints each run's JSON line at the end.
#
#   scripts/memory.sh [VARIANT...]
#
# Variants: node (the whole node), nocompare (the view kept but never asked),
# store (sled alone), view (the harmonised view alone), arena2
# (MALLOC_ARENA_MAX=2), trim (malloc_trim(0) at each step), batch200 (bundles
# of 200 documents instead of 2,000). Default: all of them.
#
# The signed data set is kept in $MEMORY_DATA (default
# target/memory-bench/delta.bin) and reused. Full output goes to
# target/memory-bench/<variant>.txt. Each run takes 1 to 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/memory-bench
mkdir -p "$out"
export MEMORY_DATA="${MEMORY_DATA:-$PWD/$out/delta.bin}"
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(node nocompare store view arena2 trim batch200)
cargo bench -p deltabench-node --bench memory --no-run
for v in "${variants[@]}"; do
    args=()
    envs=()
    case "$v" in
        node) ;;
        nocompare) envs=(MEMORY_COMPARE=0) ;;
        store) envs=(MEMORY_MODE=store) ;;
        view) envs=(MEMORY_MODE=view) ;;
        arena2) envs=(MALLOC_ARENA_MAX=2) ;;
        trim) envs=(MEMORY_TRIM=1) ;;
        batch200) args=(250000 200) ;;
        *) echo "unknown variant $v" >&2; exit 2 ;;
    esac
    echo "== $v: load average $(cut -d' ' -f1-3 /proc/loadavg)"
    env "${envs[@]}" cargo bench -q -p deltabench-node --bench memory -- "${args[@]}" \
        | tee "$out/$v.txt"
done
echo "== JSON lines"
for v in "${variants[@]}"; do
    printf '%s ' "$v"
    grep '^{"' "$out/$v.txt" || echo "(no result)"
done
