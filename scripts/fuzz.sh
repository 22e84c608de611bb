#!/usr/bin/env bash
# Fuzzes the input checks with cargo-fuzz (libFuzzer) and reports, per
# target, the executions, the corpus and PASS or FAIL.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]
#       SECONDS per target (default 600); targets: document bundle roster
#       csv_import comparison_query (default all, one after the other).
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs
# cargo-fuzz when missing. The targets are in crates/fuzzing/fuzz and call
# the functions of crates/fuzzing, which the test suite also runs on the
# seeds and on saved inputs. The corpus grows in crates/fuzzing/fuzz/corpus
# and a crashing input is left in crates/fuzzing/fuzz/artifacts/<target>/;
# to keep it as a regression, copy it to crates/fuzzing/regressions/<target>/.
# Logs: target/fuzz-logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-600}
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(document bundle roster csv_import comparison_query)
fi
fuzz_dir=crates/fuzzing/fuzz

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzzing needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "toolchain: $(rustup run nightly rustc --version), $(cargo fuzz --version)"

mkdir -p target/fuzz-logs
# Seeds: valid inputs made by the same fixture the targets use.
cargo run --quiet -p deltabench-fuzzing --bin fuzz-seeds -- "$fuzz_dir/corpus" >/dev/null
# No sanitizer (the code has no unsafe of its own); debug assertions and
# overflow checks on.
cargo +nightly fuzz build --fuzz-dir "$fuzz_dir" -s none -a >target/fuzz-logs/build.log 2>&1 || { tail -n 30 target/fuzz-logs/build.log; exit 1; }

failed=0
printf '%-18s %8s %12s %10s %8s  %s\n' target seconds executions "per sec" corpus result
for t in "${targets[@]}"; do
  log=target/fuzz-logs/$t.log
  status=PASS
  if ! cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" -s none -a "$t" -- \
      -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
      >"$log" 2>&1; then
    status=FAIL
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
  corpus=$(find "$fuzz_dir/corpus/$t" -type f | wc -l)
  rate=$(awk -v r="${runs:-0}" -v s="${took:-$secs}" 'BEGIN { if (s > 0) printf "%d", r / s; else print 0 }')
  printf '%-18s %8s %12s %10s %8s  %s\n' "$t" "${took:-?}" "${runs:-?}" "$rate" "$corpus" "$status"
  if [ "$status" = FAIL ]; then
    grep -m 5 -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | sed 's/^/    /' || true
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "FAIL fuzz (logs in target/fuzz-logs)"
  exit 1
fi
echo "PASS fuzz (${secs} s per target)"
