#!/usr/bin/env bash
# `make bench-s3`: ConnectKit's Parquet writer beside pyarrow on equal work, in the same run,
# interleaved (pyarrow, ConnectKit, ConnectKit, pyarrow; the better of two each):
#   pyarrow:    the rows as Python dicts (loaded and typed before the clock starts), then
#               Table.from_pylist + parquet.write_table (snappy) into memory
#   ConnectKit: the same rows as Connect structs (built before the clock starts), ParquetWriter
#               (snappy) append + finish, in memory
# then peak RSS of S3SinkTask with 500 open partitions (each file open to the end) with s3.buffer.max.bytes
# 8 MiB, 64 MiB (the default) and a bound too large to spill; and end to end: DataGen records
# → S3SinkTask (Parquet, flush.size 50000) → moto_server.
# BENCH_S3_RECORDS (default 1000000) sets the count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_S3_RECORDS:-1000000}
if [ "${1:-}" != --inner ]; then
  "$root/scripts/install-deps.sh" bench
  (cd "$root/Benchmarks" && swift build -c release --product S3Work >/dev/null)
  exec "$root/scripts/with-test-servers.sh" "$0" --inner
fi
bin="$root/Benchmarks/.build/release/S3Work"
work=$(mktemp -d /tmp/connectkit-bench-s3.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" rows "$work/rows.jsonl" "$n"
cat >"$work/pyarrow_side.py" <<'PY'
import decimal, io, json, resource, sys, time
import pyarrow as pa, pyarrow.parquet as pq
schema = pa.schema([
    pa.field("id", pa.int64(), False), pa.field("customer", pa.string(), False), pa.field("email", pa.string()),
    pa.field("quantity", pa.int32(), False), pa.field("price", pa.float64(), False), pa.field("paid", pa.bool_(), False),
    pa.field("created_at", pa.timestamp("ms", tz="UTC"), False), pa.field("amount", pa.decimal128(38, 2), False),
    pa.field("tags", pa.list_(pa.string()), False), pa.field("note", pa.string()),
])
rows = []
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        r["amount"] = decimal.Decimal(r["amount"])
        rows.append(r)
start = time.perf_counter()
table = pa.Table.from_pylist(rows, schema=schema)
buf = io.BytesIO()
pq.write_table(table, buf, compression="snappy")
seconds = time.perf_counter() - start
print(f"{len(rows)}\t{seconds:.3f}\t{int(len(rows) / seconds)}\t{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
PY
field() { cut -f"$2" <<<"$1"; }
best() { printf '%s\n' "$@" | sort -g | tail -1; }
p1=$(python3 "$work/pyarrow_side.py" "$work/rows.jsonl")
o1=$("$bin" parquet "$n" 2>/dev/null)
o2=$("$bin" parquet "$n" 2>/dev/null)
p2=$(python3 "$work/pyarrow_side.py" "$work/rows.jsonl")
pr=$(best "$(field "$p1" 3)" "$(field "$p2" 3)")
orate=$(best "$(field "$o1" 3)" "$(field "$o2" 3)")
printf '%-40s %14s %14s %7s\n' "Parquet (snappy), $n records in memory" "pyarrow rec/s" "ours rec/s" ratio
printf '%-40s %14s %14s %7.2f\n' "" "$pr" "$orate" "$(echo "$orate / $pr" | bc -l)"

parts=500
for buffer in 8388608 67108864 17179869184; do
  rm -rf "$work/lake"
  r=$("$bin" partitions "$work/lake" "$parts" "$n" "$buffer")
  printf '%d open partitions, s3.buffer.max.bytes=%-12s %10s rec/s, peak RSS %s MiB\n' "$parts" "$buffer" "$(field "$r" 3)" "$(field "$r" 4)"
done

bucket="bench-$$"
python3 - "$CONNECTKIT_S3_URL" "$bucket" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(f"{sys.argv[1]}/{sys.argv[2]}", method="PUT")).read()
PY
r=$("$bin" e2e "$CONNECTKIT_S3_URL" "$bucket" "$n")
printf 'end to end, DataGen → S3 sink (Parquet) → moto_server: %s records, %s rec/s, peak RSS %s MiB\n' "$(field "$r" 1)" "$(field "$r" 3)" "$(field "$r" 4)"
