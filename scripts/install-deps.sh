#!/usr/bin/env bash
# Installs the Debian packages ConnectKit builds against, only those that are missing. Idempotent.
#   install-deps.sh          what building and `make test` need
#   install-deps.sh bench    also valgrind (make bench-instructions, make bench-ratio)
set -euo pipefail
packages=(pkg-config libsqlite3-dev zlib1g-dev librdkafka-dev libcurl4-openssl-dev libpq-dev libmariadb-dev
  postgresql mariadb-server mariadb-client sqlite3 kcat python3-pip unzip curl openssl libssl-dev libsnappy-dev libzstd-dev)
if [ "${1:-}" = bench ]; then
  packages+=(valgrind bc)
fi
# A JDK: the Kafka interop tests and the vector generators run Kafka's own classes.
command -v javac >/dev/null || packages+=(openjdk-17-jdk-headless)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# noida-db (PyPI): an independent Kafka-protocol server the Kafka tests run against (transactions,
# read_committed, interop with kcat and Java's clients).
if ! command -v noida-db >/dev/null; then
  echo "installing: noida-db (pip)"
  python3 -m pip install -q noida-db 2>&1 | grep -v "Running pip as the 'root' user" || true
  command -v noida-db >/dev/null || { echo "noida-db did not install"; exit 1; }
fi
# fastavro (PyPI, with cramjam for snappy and backports.zstd for zstandard): an independent reader of the Avro container
# files ConnectKit writes.
if ! python3 -c 'import fastavro, cramjam, backports.zstd' 2>/dev/null; then
  echo "installing: fastavro cramjam backports.zstd (pip)"
  python3 -m pip install -q fastavro cramjam backports.zstd 2>&1 | grep -v "Running pip as the 'root' user" || true
  python3 -c 'import fastavro, cramjam, backports.zstd' 2>/dev/null || { echo "fastavro did not install"; exit 1; }
fi
# pyarrow and duckdb (PyPI): two independent readers of the Parquet files ConnectKit writes.
if ! python3 -c 'import pyarrow, duckdb' 2>/dev/null; then
  echo "installing: pyarrow duckdb (pip)"
  python3 -m pip install -q pyarrow duckdb 2>&1 | grep -v "Running pip as the 'root' user" || true
  python3 -c 'import pyarrow, duckdb' 2>/dev/null || { echo "pyarrow/duckdb did not install"; exit 1; }
fi
# osmem-server (PyPI): an OpenSearch API emulator, the second server the Elasticsearch sink is tested against.
if ! python3 -c 'import osmem_server' 2>/dev/null; then
  echo "installing: osmem-server (pip)"
  python3 -m pip install -q osmem-server 2>&1 | grep -v "Running pip as the 'root' user" || true
  python3 -c 'import osmem_server' 2>/dev/null || { echo "osmem-server did not install"; exit 1; }
fi
# moto (its server) and nanio (PyPI): the S3 APIs the S3 sink is tested against (nanio checks SigV4).
if ! command -v moto_server >/dev/null || ! python3 -c 'import flask, flask_cors' 2>/dev/null; then
  echo "installing: moto[server] (pip)"
  python3 -m pip install -q "moto[server]" 2>&1 | grep -v "Running pip as the 'root' user" || true
  command -v moto_server >/dev/null || { echo "moto did not install"; exit 1; }
fi
if ! command -v nanio >/dev/null; then
  echo "installing: nanio (pip)"
  python3 -m pip install -q nanio 2>&1 | grep -v "Running pip as the 'root' user" || true
  command -v nanio >/dev/null || { echo "nanio did not install"; exit 1; }
fi
command -v swift >/dev/null || { echo "swift is not on PATH (expected Swift 6.3 at /opt/swift)"; exit 1; }
