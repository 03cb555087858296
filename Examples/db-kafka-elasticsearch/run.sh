#!/usr/bin/env bash
# The seed's example, end to end: a SQL table → JdbcSourceConnector → Kafka → ElasticsearchSinkConnector.
#
# Starts, on 127.0.0.1 and in a throwaway directory: a SQLite database with an `orders` table,
# librdkafka's mock Kafka cluster (`connect mock-broker`), an Elasticsearch-compatible server
# (osmem-server from PyPI, unless ELASTICSEARCH_URL names one) and one `connect standalone` worker
# running jdbc-source.json and elasticsearch-sink.json unchanged. Rows inserted while it runs arrive
# too. Prints the documents found in the `shop-orders` index, then stops everything.
#
#   Examples/db-kafka-elasticsearch/run.sh    (CONNECT=path/to/connect skips the release build;
#                                             KEEP_WORK=1 keeps the logs and the database)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
connect=${CONNECT:-$root/.build/release/connect}
if [ -z "${CONNECT:-}" ]; then (cd "$root" && swift build -c release --product connect >/dev/null); fi

work=$(mktemp -d /tmp/connectkit-example.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_for() {  # wait_for <seconds> <command…>
  local limit=$(( $1 * 10 )); shift
  for _ in $(seq 1 "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
count() { curl -sf "$ELASTICSEARCH_URL/shop-orders/_count" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null || echo 0; }
has_documents() { [ "$(count)" -ge "$1" ]; }

# 1. The database.
export SHOP_DB_URL="jdbc:sqlite:$work/shop.db"
sqlite3 "$work/shop.db" <<'SQL'
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL NOT NULL);
INSERT INTO orders (customer, amount) VALUES ('ada', 12.5), ('grace', 99.0), ('linus', 7.25);
SQL

# 2. Elasticsearch (or OpenSearch): the given one, else a throwaway osmem-server.
if [ -z "${ELASTICSEARCH_URL:-}" ]; then
  python3 -c 'import osmem_server' 2>/dev/null || python3 -m pip install -q osmem-server >/dev/null 2>&1
  es_port=$(free_port)
  "$(python3 -c 'import osmem_server, os; print(os.path.join(os.path.dirname(osmem_server.__file__), "bin", "osmem-server"))')" \
    -addr "127.0.0.1:$es_port" -no-stdin-watch -no-ja </dev/null >"$work/es.log" 2>&1 &
  pids+=($!)
  export ELASTICSEARCH_URL="http://127.0.0.1:$es_port"
fi
wait_for 30 curl -sf "$ELASTICSEARCH_URL/" || { echo "no Elasticsearch at $ELASTICSEARCH_URL"; exit 1; }
curl -s -XDELETE "$ELASTICSEARCH_URL/shop-orders" >/dev/null || true

# 3. Kafka: librdkafka's mock cluster with the topic.
"$connect" mock-broker --brokers 1 --topic shop-orders:1 >"$work/kafka.out" 2>"$work/kafka.log" &
pids+=($!)
wait_for 30 grep -q : "$work/kafka.out" || { cat "$work/kafka.log"; exit 1; }
bootstrap=$(head -1 "$work/kafka.out")

# 4. One worker running both connectors through Kafka.
cat >"$work/worker.properties" <<PROPS
bootstrap.servers=$bootstrap
offset.storage.file.filename=$work/offsets
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
PROPS
"$connect" standalone "$work/worker.properties" "$here/jdbc-source.json" "$here/elasticsearch-sink.json" \
  --log-level "${LOG_LEVEL:-warning}" >"$work/connect.log" 2>&1 &
pids+=($!)

wait_for 60 has_documents 3 || { echo "the first rows did not arrive"; cat "$work/connect.log"; exit 1; }
echo "3 rows copied; inserting 2 more while it runs"
sqlite3 "$work/shop.db" "INSERT INTO orders (customer, amount) VALUES ('margaret', 42.0), ('dennis', 3.5);"
wait_for 60 has_documents 5 || { echo "the new rows did not arrive"; cat "$work/connect.log"; exit 1; }

echo "documents in $ELASTICSEARCH_URL/shop-orders:"
curl -sf "$ELASTICSEARCH_URL/shop-orders/_search?size=100" | python3 -c '
import json, sys
hits = json.load(sys.stdin)["hits"]["hits"]
for h in sorted(hits, key=lambda h: h["_source"]["id"]):
    print(h["_id"], json.dumps(h["_source"], sort_keys=True))'
