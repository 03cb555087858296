#!/usr/bin/env bash
# `make bench-elasticsearch`: ConnectKit's Elasticsearch sink beside curl posting the same bulk bodies,
# against the same server, in the same run, interleaved (curl, ConnectKit, ConnectKit, curl; the better
# of two; each index deleted after its run), batch.size 2000 and 5 bulk requests in flight on both sides (curl: 5 parallel posts):
#   curl:      the pre-built bodies (what the sink sends for the records), POST /_bulk, 5 at a time
#   ConnectKit: the same records (DataGen orders) through ElasticsearchSinkTask until every offset is
#              committable; also p50/p99 ms from put to the offset being committable
# against scripts/test-servers/es_test_server.py --accept-all (answers every action "created" without
# storing it: the ceiling is the client's), osmem-server (OpenSearch API) and noida-db's Elasticsearch
# API (real indexing: the ceiling is the server's); then peak RSS against the test server answering
# each bulk after 200 ms (a slow cluster).
# BENCH_ES_RECORDS (default 200000) sets the count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_ES_RECORDS:-200000}
batch=2000
if [ "${1:-}" != --inner ]; then
  "$root/scripts/install-deps.sh" bench
  (cd "$root/Benchmarks" && swift build -c release --product ElasticsearchWork >/dev/null)
  exec "$root/scripts/with-test-servers.sh" "$0" --inner
fi
bin="$root/Benchmarks/.build/release/ElasticsearchWork"
work=$(mktemp -d /tmp/connectkit-bench-es.XXXXXX)
slow=""
fast=""
trap '[ -n "$slow" ] && kill "$slow" 2>/dev/null; [ -n "$fast" ] && kill "$fast" 2>/dev/null; rm -rf "$work"' EXIT
script="$root/scripts/test-servers/es_test_server.py"
start_test_server() {  # start_test_server <name> [options]: sets <name>_url and <name>
  local name=$1; shift
  python3 "$script" --parent $$ "$@" >"$work/$name.out" 2>"$work/$name.log" &
  eval "$name=$!"
  for _ in $(seq 1 100); do [ -s "$work/$name.out" ] && break; sleep 0.05; done
  eval "${name}_url=http://127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$work/$name.out")"
}
start_test_server fast --accept-all

now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
rate() { echo "$n / $1" | bc -l | xargs printf '%.0f'; }
post_all() {  # post_all <url> <dir>
  ls "$2"/*.ndjson | xargs -P 5 -I{} curl -sf -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary @{} "$1/_bulk"
}

printf '%-12s %12s %12s %7s %9s %9s %8s\n' server "curl rec/s" "ours rec/s" ratio "p50 ms" "p99 ms" "RSS MiB"
for server in test-server osmem noida; do
  case $server in
    test-server) url=$fast_url ;;
    osmem) url=$CONNECTKIT_OPENSEARCH_URL ;;
    noida) url=$CONNECTKIT_ELASTICSEARCH_URL ;;
  esac
  # The sink creates its index's mapping from the schema; curl's indices get the same mapping.
  "$bin" sink "$url" "warm-$server" 4000 "$batch" 5 >/dev/null
  mapping=$(curl -sf "$url/warm-$server/_mapping" | python3 -c 'import json,sys; print(json.dumps({"mappings": list(json.load(sys.stdin).values())[0]["mappings"]}))')
  declare -a cs=() os=()
  run_curl() {
    local index="curl-$server-$1-$$"
    "$bin" bodies "$work/$index" "$index" "$n" "$batch" >/dev/null
    curl -sf -o /dev/null -XPUT "$url/$index" -H 'Content-Type: application/json' -d "$mapping"
    local s; s=$(now); post_all "$url" "$work/$index"; cs+=("$(echo "$(now) - $s" | bc -l)")
    rm -rf "${work:?}/$index"
    curl -sf -o /dev/null -XDELETE "$url/$index" || true
  }
  run_ours() {
    local index="ours-$server-$1-$$" out count
    out=$("$bin" sink "$url" "$index" "$n" "$batch" 5)
    os+=("$(cut -f2 <<<"$out")"); p50=$(cut -f5 <<<"$out"); p99=$(cut -f6 <<<"$out"); rss=$(cut -f4 <<<"$out")
    if [ $server != test-server ]; then
      curl -sf -o /dev/null -XPOST "$url/$index/_refresh" || true
      count=$(curl -sf "$url/$index/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
      [ "$count" = "$n" ] || { echo "the sink wrote $count of $n documents on $server"; exit 1; }
      curl -sf -o /dev/null -XDELETE "$url/$index" || true
    fi
  }
  # Interleaved, each side first once (a server may slow down as it holds more).
  run_curl 1; run_ours 1; run_ours 2; run_curl 2
  c=$(best "${cs[@]}"); o=$(best "${os[@]}")
  printf '%-12s %12s %12s %7.2f %9s %9s %8s\n' "$server" "$(rate "$c")" "$(rate "$o")" "$(echo "$c / $o" | bc -l)" "$p50" "$p99" "$rss"
done

# A slow cluster: every bulk answered after 200 ms. Memory stays bounded by max.buffered.records.
start_test_server slow
curl -sf -o /dev/null -XPOST "$slow_url/_test/faults" -H 'Content-Type: application/json' -d '{"delay_ms":200}'
slow_n=$((n / 4))
out=$("$bin" sink "$slow_url" "slow" "$slow_n" "$batch" 5 20000)
printf 'slow server (200 ms per bulk), %s records: %s rec/s, p99 %s ms, peak RSS %s MiB (max.buffered.records 20000)\n' \
  "$slow_n" "$(cut -f3 <<<"$out")" "$(cut -f6 <<<"$out")" "$(cut -f4 <<<"$out")"
