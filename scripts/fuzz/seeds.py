#!/usr/bin/env python3
"""Seeds for `make fuzz` from the golden vectors: JsonConverter encodings (both modes), header
texts, and connector/worker configuration files in properties and JSON form.

    seeds.py <corpus-root>   writes <corpus-root>/<target>/seed-N files
"""
import hashlib, json, os, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
vectors = os.path.join(root, "Tests", "ConnectKitTests", "Vectors")
out = sys.argv[1]
seeds = {t: set() for t in ["json-schemas", "json-schemaless", "header", "properties", "connector-json"]}

with open(os.path.join(vectors, "json-converter.jsonl")) as f:
    for line in f:
        v = json.loads(line)
        text = v.get("json")
        if not isinstance(text, str):
            continue
        enabled = v.get("config", {}).get("schemas.enable", "true") == "true"
        seeds["json-schemas" if enabled else "json-schemaless"].add(text.encode())
        if enabled:  # the payload alone is schemaless JSON too
            try:
                seeds["json-schemaless"].add(json.dumps(json.loads(text).get("payload"), separators=(",", ":")).encode())
            except (ValueError, AttributeError):
                pass

with open(os.path.join(vectors, "java-text.jsonl")) as f:
    for line in f:
        v = json.loads(line)
        if v.get("kind") == "header" and isinstance(v.get("input"), str):
            seeds["header"].add(v["input"].encode())

properties = [
    "name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile=test.txt\ntopic=connect-test\n",
    "# comment\n! other comment\nkey = value with spaces \\\n    continued\nkey2:value2\nkey3 value3\n\\u0041=unicode\\tescape\n",
    "bootstrap.servers=localhost:9092\nkey.converter=org.apache.kafka.connect.json.JsonConverter\nkey.converter.schemas.enable=true\n"
    "offset.storage.file.filename=/tmp/connect.offsets\noffset.flush.interval.ms=10000\nplugin.path=${env:HOME}/plugins\n",
    "name=jdbc\nconnector.class=io.confluent.connect.jdbc.JdbcSourceConnector\nmode=incrementing\nincrementing.column.name=id\n"
    "connection.password=${file:/tmp/secrets.properties:password}\ntransforms=route\ntransforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n"
    "transforms.route.regex=(.*)\ntransforms.route.replacement=$1-copy\n",
    "a\\\n", "=\n:\n \n\t\f\n", "k=v\r\nk2=v2\rk3=v3",
]
seeds["properties"].update(p.encode() for p in properties)

connector_json = [
    {"name": "local-file-sink", "config": {"connector.class": "FileStreamSink", "tasks.max": "1", "file": "out.txt", "topics": "connect-test"}},
    {"name": "jdbc", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "mode": "incrementing", "tasks.max": 2,
     "validate.non.null": False, "poll.interval.ms": 5000},
    {"name": "x", "config": {"name": "x", "transforms": "a,b", "transforms.a.type": "org.apache.kafka.connect.transforms.InsertField$Value"}},
]
seeds["connector-json"].update(json.dumps(c).encode() for c in connector_json)
seeds["connector-json"].add(b'{"name":"e\\u00e9","config":{"k":"\\ud83d\\ude00"}}')

for target, items in seeds.items():
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for data in items:
        with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
            f.write(data)
    print(f"{target}: {len(items)} seeds")
