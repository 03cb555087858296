#!/usr/bin/env bash
# `make bench-instructions`: instructions per record of each workload of Benchmarks/EqualWork, counted
# by valgrind's callgrind (a figure that does not move with the machine's load): the difference between
# a run of N2 and a run of N1 records, over N2 - N1, so that setting up is not counted.
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
printf '| workload | instructions/record |\n| --- | --- |\n'
for w in ${WORKLOADS:-serialize-schemas serialize-schemaless deserialize-schemas deserialize-schemaless chain-fused chain-staged pipeline-direct pipeline-topic}; do
  a=$(count "$w" "$n1"); b=$(count "$w" "$n2")
  printf '| %s | %s |\n' "$w" "$(( (b - a) / (n2 - n1) ))"
done
