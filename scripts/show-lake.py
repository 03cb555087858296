#!/usr/bin/env python3
"""Reads the `make run` data lake back with pyarrow (an independent Parquet reader): objects, rows, a few rows."""
import glob
import sys

import pyarrow.parquet as pq

lake = sys.argv[1] if len(sys.argv) > 1 else "/tmp/connectkit-demo/lake"
files = sorted(glob.glob(lake + "/**/*.parquet", recursive=True))
tables = [pq.read_table(f) for f in files]
rows = sum(t.num_rows for t in tables)
print(f"pyarrow reads {len(files)} Parquet objects, {rows} rows; schema: {tables[0].schema.to_string(show_schema_metadata=False).replace(chr(10), ', ') if tables else '-'}")
for r in (tables[0].slice(0, 3).to_pylist() if tables else []):
    print("  ", r)
