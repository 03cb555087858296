#!/usr/bin/env bash
# `make bench-sql`: the JDBC source and sink beside each database's own command-line tool, on the
# same 1M-row table of the benchmark record shape, in the same run, interleaved (tool, ConnectKit,
# tool, ConnectKit; the better of two), on throwaway servers (scripts/with-test-servers.sh).
#   source: SQLite → discard  vs  sqlite3 -json (to /dev/null)
#           PostgreSQL        vs  psql \copy (SELECT …) TO '/dev/null'
#           MariaDB           vs  mariadb --quick -e 'SELECT …' (to /dev/null)
#   sink:   PostgreSQL insert and upsert  vs  psql \copy … FROM (CSV)
#           MariaDB upsert                vs  LOAD DATA LOCAL INFILE
#           SQLite upsert                 vs  sqlite3 .import --csv
# BENCH_SQL_ROWS (default 1000000) sets the table size. Peak RSS of ConnectKit's process is shown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" != --inner ]; then
  "$root/scripts/install-deps.sh" bench
  (cd "$root/Benchmarks" && swift build -c release --product SQLWork >/dev/null)
  exec "$root/scripts/with-test-servers.sh" "$0" --inner
fi

rows=${BENCH_SQL_ROWS:-1000000}
work=$(mktemp -d /tmp/connectkit-bench-sql.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
bin="$root/Benchmarks/.build/release/SQLWork"
csv="$work/rows.csv"
python3 - "$csv" "$rows" <<'PY'
import sys, random
random.seed(7)
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        c = "customer-%d" % (i % 5000)
        f.write("%d,%s,%s@example.com,%d,%.2f,%d,2024-01-%02d %02d:%02d:%02d.%03d,%d.%02d,note %d\n" % (
            i, c, c, i % 17 + 1, random.random() * 1000, i % 2, i % 28 + 1, i % 24, i % 60, (i // 60) % 60, i % 1000,
            i % 100000, i % 100, i % 7))
PY

pg_port=$(echo "$CONNECTKIT_POSTGRES_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')
my_port=$(echo "$CONNECTKIT_MYSQL_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')
psql_() { psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d connectkit -v ON_ERROR_STOP=1 "$@"; }
my_() { mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -uroot --local-infile=1 connectkit "$@"; }
lite="$work/bench.db"
lite_() { sqlite3 "$lite" "$@"; }

columns="customer VARCHAR(64) NOT NULL, email VARCHAR(128), quantity INT NOT NULL, price DOUBLE PRECISION NOT NULL, paid BOOLEAN NOT NULL"
for t in bench_src bench_dst; do
  psql_ -c "CREATE TABLE $t (id BIGINT PRIMARY KEY, $columns, created_at TIMESTAMP(3) NOT NULL, amount NUMERIC(12,2) NOT NULL, note VARCHAR(200))"
  my_ -e "CREATE TABLE $t (id BIGINT PRIMARY KEY, ${columns/DOUBLE PRECISION/DOUBLE}, created_at DATETIME(3) NOT NULL, amount DECIMAL(12,2) NOT NULL, note VARCHAR(200))"
  lite_ "CREATE TABLE $t (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, email TEXT, quantity INTEGER NOT NULL, price REAL NOT NULL, paid BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL, amount DECIMAL(12,2) NOT NULL, note TEXT)"
done
lite_ "PRAGMA journal_mode=WAL" >/dev/null

now() { date +%s.%N; }
# time_of <command...>: seconds the command took
time_of() { local s; s=$(now); "$@" >/dev/null; echo "$(now) - $s" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
rate() { echo "$rows / $1" | bc -l | xargs printf '%.0f'; }
ours() {  # ours <args…>: seconds; the run's peak RSS goes to $work/rss
  local out
  out=$("$bin" "$@")
  case "$out" in error*) echo "$out" >&2; exit 1;; esac
  echo "$out" | cut -f4 > "$work/rss"
  echo "$out" | cut -f2
}

# The sources' tables, loaded by each tool (these timings are the tools' bulk loads).
load_pg=$(time_of psql_ -c "\\copy bench_src FROM '$csv' CSV")
load_my=$(time_of my_ -e "LOAD DATA LOCAL INFILE '$csv' INTO TABLE bench_src FIELDS TERMINATED BY ','")
load_lite=$(time_of lite_ ".import --csv $csv bench_src")
psql_ -c "VACUUM ANALYZE bench_src"

declare -A tool ck mem
run_pair() {  # run_pair <name> <tool command> -- <SQLWork args>
  local name=$1; shift
  local cmd=() args=()
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done; shift
  args=("$@")
  local t1 t2 c1 c2
  t1=$(time_of "${cmd[@]}"); c1=$(ours "${args[@]}"); mem[$name]=$(cat "$work/rss")
  t2=$(time_of "${cmd[@]}"); c2=$(ours "${args[@]}")
  tool[$name]=$(best "$t1" "$t2"); ck[$name]=$(best "$c1" "$c2")
}

run_pair sqlite-source lite_ -json "SELECT * FROM bench_src" -- source "jdbc:sqlite:$lite" '"bench_src"' "$rows"
run_pair pg-source psql_ -c "\\copy (SELECT * FROM bench_src) TO '/dev/null'" -- source "$CONNECTKIT_POSTGRES_URL" '"public"."bench_src"' "$rows"
run_pair my-source my_ --quick -e "SELECT * FROM bench_src" -- source "$CONNECTKIT_MYSQL_URL" '`connectkit`.`bench_src`' "$rows"

# Sinks: each run starts from an empty table.
sink_pair() {  # sink_pair <name> <empty-table command…> -- <tool load command…> -- <SQLWork args>
  local name=$1; shift
  local empty=() load=() args=()
  while [ "$1" != -- ]; do empty+=("$1"); shift; done; shift
  while [ "$1" != -- ]; do load+=("$1"); shift; done; shift
  args=("$@")
  local t=() c=()
  for _ in 1 2; do
    "${empty[@]}" >/dev/null; t+=("$(time_of "${load[@]}")")
    "${empty[@]}" >/dev/null; c+=("$(ours "${args[@]}")"); mem[$name]=$(cat "$work/rss")
  done
  tool[$name]=$(best "${t[@]}"); ck[$name]=$(best "${c[@]}")
}
sink_pair pg-insert psql_ -c "TRUNCATE bench_dst" -- psql_ -c "\\copy bench_dst FROM '$csv' CSV" -- sink "$CONNECTKIT_POSTGRES_URL" bench_dst "$rows" insert
sink_pair pg-upsert psql_ -c "TRUNCATE bench_dst" -- psql_ -c "\\copy bench_dst FROM '$csv' CSV" -- sink "$CONNECTKIT_POSTGRES_URL" bench_dst "$rows" upsert
sink_pair my-upsert my_ -e "TRUNCATE bench_dst" -- my_ -e "LOAD DATA LOCAL INFILE '$csv' INTO TABLE bench_dst FIELDS TERMINATED BY ','" -- sink "$CONNECTKIT_MYSQL_URL" bench_dst "$rows" upsert
sink_pair lite-upsert lite_ "DELETE FROM bench_dst" -- lite_ ".import --csv $csv bench_dst" -- sink "jdbc:sqlite:$lite" bench_dst "$rows" upsert

echo
echo "$rows rows of the benchmark shape (9 columns); rows/s, the better of two interleaved runs each"
echo
echo "| work | the database's tool | rows/s | ConnectKit | rows/s | ratio | target | ConnectKit peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
line() {  # line <name> <tool label> <ours label> <target>
  local r; r=$(echo "${tool[$1]} / ${ck[$1]}" | bc -l | xargs printf '%.2f')
  echo "| $1 | $2 | $(rate "${tool[$1]}") | $3 | $(rate "${ck[$1]}") | ${r}× | $4 | ${mem[$1]} MiB |"
}
line sqlite-source "sqlite3 -json > /dev/null" "JdbcSource → discard" "≥ 0.7×"
line pg-source "psql \\copy (select) to /dev/null" "JdbcSource → discard" "≥ 0.5×"
line my-source "mariadb --quick -e select" "JdbcSource → discard" "(reported)"
line pg-insert "psql \\copy from CSV" "JdbcSink insert" "≥ 0.5×"
line pg-upsert "psql \\copy from CSV" "JdbcSink upsert" "≥ 0.25×"
line my-upsert "LOAD DATA LOCAL INFILE" "JdbcSink upsert" "(reported)"
line lite-upsert "sqlite3 .import --csv" "JdbcSink upsert" "(reported)"
echo
echo "bulk loads of the source tables: psql \\copy $(rate "$load_pg") rows/s, LOAD DATA $(rate "$load_my") rows/s, sqlite3 .import $(rate "$load_lite") rows/s"
