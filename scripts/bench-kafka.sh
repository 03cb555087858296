#!/usr/bin/env bash
# `make bench-kafka`: ConnectKit's Kafka path beside kcat (librdkafka's own CLI) on the same records
# of the benchmark shape, against the same server, in the same run, interleaved (kcat, ConnectKit,
# kcat, ConnectKit; the better of two):
#   produce: kcat -P -l lines.json (idempotent, as ours)   vs  KafkaProducer on the same lines (kcat's own work,
#                                                              every delivery report counted), and
#                                                              FileStreamSource → Kafka (the worker; every report in)
#            and Kafka Connect 4.3's own Java worker (scripts/bench/JavaConnectWorker.java: Worker +
#            StandaloneHerder, FileStreamSourceConnector, StringConverter) on the same lines (noida-db only: the
#            Java clients cannot talk to librdkafka's mock cluster)
#   consume: kcat -G (a consumer group, as a sink's) and     vs  Kafka → a discarding sink task (its group, committing
#                                                                  every 5 s as kcat -G's auto-commit does; and,
#            kcat -C -e (partitions assigned, no group)            beside kcat -C, from its first records put: after
#                                                                  the group's join, which kcat -C does not do)
#   e2e:     DataGen's records → Kafka → a discarding sink: records/s, p50/p99 ms from poll to the sink's flush
# Produce and consume run on librdkafka's mock cluster (`connect mock-broker`) and on noida-db; e2e on
# noida-db. The mock cluster keeps at most 100,000 record sets (5 MB) of a partition: its consume topic has
# 64 partitions, filled once by kcat spreading records over all of them. BENCH_KAFKA_RECORDS (default
# 1000000) sets the count. Peak RSS of ConnectKit's process is shown.
# noida-db rewrites a snapshot of everything it holds after each change (a JSON file; ~5 s of a core
# for 1M records, growing with what it holds): every timed run waits until it is quiet, and every
# noida-db produce and e2e run starts on an emptied Kafka service (`noida-db reset kafka`), so that no
# run shares the two cores with the snapshot of the run before it, and each client meets the same server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_KAFKA_RECORDS:-1000000}
if [ "${1:-}" != --inner ]; then
  "$root/scripts/install-deps.sh" bench
  (cd "$root" && swift build -c release --product connect >/dev/null)
  (cd "$root/Benchmarks" && swift build -c release --product KafkaWork >/dev/null)
  exec "$root/scripts/with-test-servers.sh" "$0" --inner
fi
bin="$root/Benchmarks/.build/release/KafkaWork"
work=$(mktemp -d /tmp/connectkit-bench-kafka.XXXXXX)
broker=""
trap '[ -n "$broker" ] && kill "$broker" 2>/dev/null; rm -rf "$work"' EXIT
"$bin" lines "$work/lines.json" "$n"
"$root/.build/release/connect" mock-broker --brokers 1 --topic k1:1 --topic k2:1 --topic o1:1 --topic o2:1 --topic m64:64 >"$work/bootstrap" &
broker=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.05; done
mock=$(cat "$work/bootstrap")
kcat -b "$mock" -P -t m64 -X enable.idempotence=true -X sticky.partitioning.linger.ms=0 -l "$work/lines.json"
# The mock cluster drops the oldest records of a partition past 5 MB: every record must still be there.
held=$(kcat -b "$mock" -C -t m64 -e -q -o beginning -f 'x\n' | wc -l || true)
[ "$held" -eq "$n" ] || { echo "the mock cluster holds $held of $n records in m64 (at most 5 MB a partition): use fewer" >&2; exit 1; }
noida=$CONNECTKIT_KAFKA_BOOTSTRAP
# Kafka Connect's own worker, compiled against the jars with-test-servers.sh fetched (never committed).
source "$root/scripts/vectors/kafka-jars.sh" >/dev/null
mkdir -p "$work/java"
javac -nowarn -d "$work/java" -cp "$libs/*" "$root/scripts/bench/JavaConnectWorker.java"
# Log4j's default configuration writes errors to standard output: only the result line is kept.
java_worker() {
  timeout 600 java -Dorg.apache.logging.log4j.level=WARN -cp "$work/java:$libs/*" JavaConnectWorker "$@" 2>>"$work/java.log" >"$work/java.out" || true
  grep -P '^\d+\t[\d.]+\t\d+$' "$work/java.out" || { echo "the Java worker failed:" >&2; tail -20 "$work/java.out" "$work/java.log" >&2; exit 1; }
}

now() { date +%s.%N; }
time_of() { local s; s=$(now); "$@" >/dev/null; echo "$(now) - $s" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
rate() { echo "$n / $1" | bc -l | xargs printf '%.0f'; }
secs() { cut -f2 <<<"$1"; }

# kcat reads with the same receive.message.max.bytes as ours: noida-db answers a fetch with up to a
# whole partition whatever fetch.max.bytes says.
big=(-X receive.message.max.bytes=1000000000)
# quiet: waits until noida-db's CPU time stays the same over two half-second looks (its snapshot of
# everything it holds, written after each change, is over); after 300 s it says so and goes on.
quiet() {
  local a b still=0
  b=$(awk '{print $14 + $15}' "/proc/$CONNECTKIT_NOIDA_PID/stat")
  for _ in $(seq 1 600); do
    sleep 0.5; a=$b; b=$(awk '{print $14 + $15}' "/proc/$CONNECTKIT_NOIDA_PID/stat")
    if [ "$a" = "$b" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 2 ] && return 0
  done
  echo "noida-db is still busy after 300 s; timing anyway" >&2
}
noida_bin="$(python3 -c 'import noida_db, os; print(os.path.join(os.path.dirname(noida_db.__file__), "noida-db"))')"
# fresh: empties noida-db's Kafka service (topics, groups, offsets), then waits until it is quiet.
fresh() {
  (cd "$work" && timeout 120 "$noida_bin" reset kafka --yes --data-dir "$CONNECTKIT_NOIDA_DATA_DIR" >"$work/reset.out" 2>&1) \
    || { echo "noida-db reset kafka failed:" >&2; grep -v GLIBC "$work/reset.out" >&2; exit 1; }
  quiet
}
declare -a mkp mos mop kp os op jp mkc mkg moc moa kc kg oc oa
for round in 1 2; do
  quiet; mkp+=("$(time_of kcat -b "$mock" -P -t "k$round" -X enable.idempotence=true -l "$work/lines.json")")
  quiet; mos+=("$(time_of "$bin" send "$mock" "s$round" "$work/lines.json" "$n")")
  quiet; out=$("$bin" produce "$mock" "o$round" "$work/lines.json" "$n"); mop+=("$(secs "$out")"); mrss=$(cut -f4 <<<"$out")
  fresh; kp+=("$(time_of kcat -b "$noida" -P -t "k$round" -X enable.idempotence=true -l "$work/lines.json")")
  fresh; os+=("$(time_of "$bin" send "$noida" "s$round" "$work/lines.json" "$n")")
  fresh; out=$("$bin" produce "$noida" "o$round" "$work/lines.json" "$n"); op+=("$(secs "$out")"); prss=$(cut -f4 <<<"$out")
  fresh; out=$(java_worker "$noida" "j$round" "$work/lines.json" "$n"); jp+=("$(secs "$out")")
  quiet; mkc+=("$(time_of kcat -b "$mock" -C -t m64 -e -q -o beginning)")
  quiet; mkg+=("$(time_of kcat -b "$mock" -G "kcat-$round" m64 -e -q -X auto.offset.reset=earliest)")
  quiet; out=$("$bin" consume "$mock" m64 "$n"); moc+=("$(secs "$out")"); moa+=("$(cut -f6 <<<"$out")"); mcrss=$(cut -f4 <<<"$out"); mfirst=$(cut -f5 <<<"$out")
  # The consume topic on noida-db: filled by kcat (not timed) on an emptied service.
  fresh; kcat -b "$noida" -P -t k1 -X enable.idempotence=true -l "$work/lines.json"
  quiet; kc+=("$(time_of kcat -b "$noida" -C -t k1 -e -q -o beginning "${big[@]}")")
  quiet; kg+=("$(time_of kcat -b "$noida" -G "kcat-$round" k1 -e -q -X auto.offset.reset=earliest "${big[@]}")")
  quiet; out=$("$bin" consume "$noida" k1 "$n"); oc+=("$(secs "$out")"); oa+=("$(cut -f6 <<<"$out")"); crss=$(cut -f4 <<<"$out"); first=$(cut -f5 <<<"$out")
done
# Instructions per record (callgrind: a count that does not move with the machine's load) of
# KafkaProducer and of kcat -P on the mock cluster: the difference between 100 000 and 10 000 lines,
# over 90 000, so that start-up cancels out. (callgrind crashes inside valgrind on the worker's path.)
head -n 100000 "$work/lines.json" >"$work/l100k"; head -n 10000 "$work/lines.json" >"$work/l10k"
irs() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | awk '/Collected :/ {print $NF}'; }
ik=$(( ($(irs kcat -b "$mock" -P -t ik1 -X enable.idempotence=true -l "$work/l100k") - $(irs kcat -b "$mock" -P -t ik2 -X enable.idempotence=true -l "$work/l10k")) / 90000 ))
io=$(( ($(irs "$bin" send "$mock" io1 "$work/l100k" 100000) - $(irs "$bin" send "$mock" io2 "$work/l10k" 10000)) / 90000 ))
fresh; e2e=$("$bin" e2e "$noida" e2e "$n")
fresh; paced=$("$bin" e2e "$noida" e2e-paced $((n / 2)) 50000)

printf '%-48s %12s %12s %8s %8s\n' "workload (baseline: kcat unless named)" "base rec/s" "ours rec/s" "ratio" "RSS MiB"
row() { printf '%-48s %12s %12s %8.2f %8s\n' "$1" "$(rate "$2")" "$(rate "$3")" "$(echo "$2 / $3" | bc -l)" "$4"; }
row "produce, mock: KafkaProducer (kcat's work)" "$(best "${mkp[@]}")" "$(best "${mos[@]}")" "-"
row "produce, mock: FileStreamSource → Kafka" "$(best "${mkp[@]}")" "$(best "${mop[@]}")" "$mrss"
row "produce, noida-db: KafkaProducer (kcat's work)" "$(best "${kp[@]}")" "$(best "${os[@]}")" "-"
row "produce, noida-db: FileStreamSource → Kafka" "$(best "${kp[@]}")" "$(best "${op[@]}")" "$prss"
row "produce, noida-db: same, vs Kafka Connect (Java)" "$(best "${jp[@]}")" "$(best "${op[@]}")" "$prss"
row "consume, mock (64 part.), in a group (kcat -G)" "$(best "${mkg[@]}")" "$(best "${moc[@]}")" "$mcrss"
row "consume, mock, kcat -C vs ours after join" "$(best "${mkc[@]}")" "$(best "${moa[@]}")" "$mcrss"
row "consume, noida-db, in a group (kcat -G)" "$(best "${kg[@]}")" "$(best "${oc[@]}")" "$crss"
row "consume, noida-db, kcat -C (no group)" "$(best "${kc[@]}")" "$(best "${oc[@]}")" "$crss"
row "consume, noida-db, kcat -C vs ours after join" "$(best "${kc[@]}")" "$(best "${oa[@]}")" "$crss"
printf 'instructions per produced record (callgrind, mock cluster): kcat -P %s, KafkaProducer %s (%.2f of kcat'"'"'s)\n' "$ik" "$io" "$(echo "$io / $ik" | bc -l)"
printf '(ours: KafkaProducer rows time the whole process, as kcat; the worker rows from start to the last\n'
printf ' delivery report / the last record put; the sink joined its group and had its first records after %s s on\n' "$mfirst"
printf ' the mock cluster, %s s on noida-db;\n' "$first"
printf ' the Java worker from its connector'"'"'s creation until the topic holds every record: its JVM start not\n'
printf ' counted, its JIT warming up on the records counted, its producer with Kafka Connect'"'"'s defaults)\n'
printf 'e2e, as fast as it goes: %s records/s, p50 %s ms, p99 %s ms (poll → sink flush: the backlog in Kafka), RSS %s MiB\n' \
  "$(cut -f3 <<<"$e2e")" "$(cut -f5 <<<"$e2e")" "$(cut -f6 <<<"$e2e")" "$(cut -f4 <<<"$e2e")"
printf 'e2e at 50000 records/s: p50 %s ms, p99 %s ms (poll → sink flush, offset.flush.interval.ms=100), RSS %s MiB\n' \
  "$(cut -f5 <<<"$paced")" "$(cut -f6 <<<"$paced")" "$(cut -f4 <<<"$paced")"
