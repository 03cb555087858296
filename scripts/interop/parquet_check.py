#!/usr/bin/env python3
"""Reads Parquet files ConnectKit wrote with two independent readers, pyarrow and duckdb (PyPI), and
prints, per file, one JSON line: {"file", "pyarrow": {"schema", "rows", "metadata"}, "duckdb":
{"schema", "rows"}} — the schema as each reader sees it and every row as plain JSON values (bytes as
latin-1 strings, decimals and dates as text) — or {"file", "error"} when a reader refuses the file."""
import datetime
import decimal
import json
import sys

import duckdb
import pyarrow.parquet as pq


def plain(v):
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, (decimal.Decimal, datetime.date, datetime.datetime, datetime.time)):
        return str(v)
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, float) and v != v:
        return "NaN"
    return v


def main(paths):
    failed = False
    for path in paths:
        out = {"file": path}
        try:
            table = pq.read_table(path)
            meta = pq.read_metadata(path)
            out["pyarrow"] = {
                "schema": [str(f.type) for f in table.schema],
                "names": table.schema.names,
                "rows": plain(table.to_pylist()),
                "metadata": {k.decode(): v.decode()[:40] for k, v in (meta.metadata or {}).items()},
                "row_groups": meta.num_row_groups,
                "codec": meta.row_group(0).column(0).compression if meta.num_row_groups else None,
            }
            con = duckdb.connect()
            rel = con.execute("SELECT * FROM read_parquet(?)", [path])
            names = [d[0] for d in rel.description]
            out["duckdb"] = {"names": names, "types": [str(d[1]) for d in rel.description],
                             "rows": plain([dict(zip(names, r)) for r in rel.fetchall()])}
        except Exception as e:  # the reader's refusal is what this script reports
            out["error"] = "%s: %s" % (type(e).__name__, e)
            failed = True
        print(json.dumps(out, sort_keys=True))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
