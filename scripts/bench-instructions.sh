#!/usr/bin/env bash
# `make bench-instructions`: instructions per record of each workload of Benchmarks/EqualWork, counted
# by valgrind's callgrind (a figure that does not move with the machine's load): the difference between
# a run of N2 and a run of N1 records, over N2 - N1, so that setting up is not counted. Ends with
# topic mode's cost over the sum of its parts (each measured alone).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind is missing (make deps installs it)" >&2; exit 1; }
(cd "$root/Benchmarks" && swift build -c release --product EqualWork >/dev/null)
bin="$root/Benchmarks/.build/release/EqualWork"
n1=${N1:-2000}
n2=${N2:-12000}
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" count "$1" "$2" 2>&1 | awk '/Collected :/ {print $NF}'
}
declare -A per
printf '| workload | instructions/record |\n| --- | --- |\n'
for w in ${WORKLOADS:-serialize-schemas serialize-schemaless deserialize-schemas deserialize-schemaless chain-fused chain-staged generate convert-key transport pipeline-direct pipeline-topic}; do
  a=$(count "$w" "$n1"); b=$(count "$w" "$n2")
  per[$w]=$(( (b - a) / (n2 - n1) ))
  printf '| %s | %s |\n' "$w" "${per[$w]}"
done
# Topic mode against the sum of its parts: DataGen's records, the value and the key through
# JsonConverter out and in, and the in-memory transport.
parts="generate serialize-schemas deserialize-schemas convert-key transport"
if [[ -n "${per[pipeline-topic]:-}" ]]; then
  sum=0
  for p in $parts; do [[ -n "${per[$p]:-}" ]] || { sum=; break; }; sum=$(( sum + per[$p] )); done
  if [[ -n "$sum" ]]; then
    printf '\ntopic mode %s / sum of parts (%s) %s = %s\n' "${per[pipeline-topic]}" "${parts// / + }" "$sum" \
      "$(awk -v a="${per[pipeline-topic]}" -v b="$sum" 'BEGIN { printf "%.2f×", a / b }')"
  fi
fi
