#!/usr/bin/env bash
# `make fuzz`: libFuzzer (with AddressSanitizer, which also reports leaks) over ConnectKit's parsers:
# the JSON reader in both schema modes, the header converter, the properties and connector-file
# parsers. Each target runs FUZZ_SECONDS (default 600) from a corpus seeded with the golden vectors
# (scripts/fuzz/seeds.py), FUZZ_JOBS targets at a time (default 1). Crashes, hangs (> 10 s per
# input) and leaks stop a target and leave the input under .build-fuzz/artifacts/; the script then
# fails. FUZZ_TARGETS picks targets (default: all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
targets=${FUZZ_TARGETS:-json-schemas json-schemaless header properties connector-json}
work="$root/.build-fuzz"
mkdir -p "$work/artifacts" "$work/logs"
swift build -c release --package-path "$root/Tests/Fuzz" --scratch-path "$work/build" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >"$work/logs/build.log" 2>&1 || { tail -30 "$work/logs/build.log"; exit 1; }
bin="$work/build/release/ConnectKitFuzz"
python3 "$root/scripts/fuzz/seeds.py" "$work/seeds"

run() {
  local t=$1
  mkdir -p "$work/corpus/$t"
  echo "fuzzing $t for ${seconds}s"
  if FUZZ_TARGET=$t "$bin" "$work/corpus/$t" "$work/seeds/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" >"$work/logs/$t.log" 2>&1; then
    echo "$t: $(grep -E '^stat::number_of_executed_units' "$work/logs/$t.log" | awk '{print $2}') inputs, no crash, hang or leak"
  else
    echo "$t: FAILED (see $work/logs/$t.log and $work/artifacts/)"
    tail -40 "$work/logs/$t.log"
    return 1
  fi
}

status=0
pids=()
for t in $targets; do
  run "$t" &
  pids+=($!)
  if (( ${#pids[@]} >= jobs )); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
