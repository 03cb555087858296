#!/usr/bin/env bash
# `make bench-kafka`: ConnectKit's Kafka path beside kcat (librdkafka's own CLI) on the same records
# of the benchmark shape, against the same server, in the same run, interleaved (kcat, ConnectKit,
# kcat, ConnectKit; the better of two):
#   produce: kcat -P -l lines.json (idempotent, as ours)   vs  FileStreamSource → Kafka (every delivery report in)
#   consume: kcat -C -e > /dev/null                         vs  Kafka → a discarding sink task
#   e2e:     DataGen's records → Kafka → a discarding sink: records/s, p50/p99 ms from poll to the sink's flush
# Produce runs on librdkafka's mock cluster (`connect mock-broker`) and on noida-db; consume and e2e on
# noida-db only: the mock cluster keeps only the last 5 MB of a partition, so it cannot hold 1M records
# for a consumer. BENCH_KAFKA_RECORDS (default 1000000) sets the count. Peak RSS of ConnectKit's process is shown.
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
"$root/.build/release/connect" mock-broker --brokers 1 --topic k1:1 --topic k2:1 --topic o1:1 --topic o2:1 >"$work/bootstrap" &
broker=$!
for _ in $(seq 1 100); do [ -s "$work/bootstrap" ] && break; sleep 0.05; done
mock=$(cat "$work/bootstrap")
noida=$CONNECTKIT_KAFKA_BOOTSTRAP

now() { date +%s.%N; }
time_of() { local s; s=$(now); "$@" >/dev/null; echo "$(now) - $s" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
rate() { echo "$n / $1" | bc -l | xargs printf '%.0f'; }
secs() { cut -f2 <<<"$1"; }

declare -a mkp mop kp op kc oc
for round in 1 2; do
  mkp+=("$(time_of kcat -b "$mock" -P -t "k$round" -X enable.idempotence=true -l "$work/lines.json")")
  out=$("$bin" produce "$mock" "o$round" "$work/lines.json" "$n"); mop+=("$(secs "$out")"); mrss=$(cut -f4 <<<"$out")
  kp+=("$(time_of kcat -b "$noida" -P -t "k$round" -X enable.idempotence=true -l "$work/lines.json")")
  out=$("$bin" produce "$noida" "o$round" "$work/lines.json" "$n"); op+=("$(secs "$out")"); prss=$(cut -f4 <<<"$out")
  kc+=("$(time_of kcat -b "$noida" -C -t k1 -e -q -o beginning)")
  out=$("$bin" consume "$noida" k1 "$n"); oc+=("$(secs "$out")"); crss=$(cut -f4 <<<"$out")
done
e2e=$("$bin" e2e "$noida" e2e "$n")
paced=$("$bin" e2e "$noida" e2e-paced $((n / 2)) 50000)

printf '%-22s %12s %12s %8s %8s\n' workload "kcat rec/s" "ours rec/s" "ratio" "RSS MiB"
row() { printf '%-22s %12s %12s %8.2f %8s\n' "$1" "$(rate "$2")" "$(rate "$3")" "$(echo "$2 / $3" | bc -l)" "$4"; }
row "produce (mock cluster)" "$(best "${mkp[@]}")" "$(best "${mop[@]}")" "$mrss"
row "produce (noida-db)" "$(best "${kp[@]}")" "$(best "${op[@]}")" "$prss"
row "consume (noida-db)" "$(best "${kc[@]}")" "$(best "${oc[@]}")" "$crss"
printf 'e2e, as fast as it goes: %s records/s, p50 %s ms, p99 %s ms (poll → sink flush: the backlog in Kafka), RSS %s MiB\n' \
  "$(cut -f3 <<<"$e2e")" "$(cut -f5 <<<"$e2e")" "$(cut -f6 <<<"$e2e")" "$(cut -f4 <<<"$e2e")"
printf 'e2e at 50000 records/s: p50 %s ms, p99 %s ms (poll → sink flush, offset.flush.interval.ms=100), RSS %s MiB\n' \
  "$(cut -f5 <<<"$paced")" "$(cut -f6 <<<"$paced")" "$(cut -f4 <<<"$paced")"
