#!/usr/bin/env python3
"""Fails when a public symbol of a ConnectKit library module has no DocC comment.

Reads the symbol graphs `swift package dump-symbol-graph --minimum-access-level public` writes.
A member that implements a documented protocol requirement (or comes from a protocol extension)
inherits that documentation, as DocC shows it, and needs none of its own.

Usage: scripts/check-docs.py [symbolgraph directory]
"""
import glob
import json
import os
import sys

MODULES = ["ConnectKit", "ConnectTransforms", "ConnectSQLiteDriver", "ConnectRuntime", "ConnectFile", "ConnectPlugins", "ConnectKitTesting", "ConnectAvro", "ConnectParquet", "ConnectS3"]

# Requirements of protocols outside these modules (the standard library, swift-service-lifecycle,
# Foundation): their documentation is theirs.
EXTERNAL_REQUIREMENTS = {
    "description", "debugDescription", "hash(into:)", "hashValue", "==(_:_:)", "<(_:_:)", "makeIterator()", "customMirror",
    "init(from:)", "encode(to:)", "init(dictionaryLiteral:)", "init(stringLiteral:)", "init(integerLiteral:)",
    "init(arrayLiteral:)", "init(floatLiteral:)", "init(booleanLiteral:)", "init(nilLiteral:)", "init(unicodeScalarLiteral:)",
    "init(extendedGraphemeClusterLiteral:)", "errorDescription", "enqueue(_:)", "run()", "localizedDescription",
    "next()", "startIndex", "endIndex", "index(after:)", "subscript(_:)", "count", "isEmpty", "testDescription",
    "rawValue", "init(rawValue:)", "allCases", "asUnownedTaskExecutor()", "asUnownedSerialExecutor()",
}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directory = sys.argv[1] if len(sys.argv) > 1 else None
    if directory is None:
        found = glob.glob(os.path.join(root, ".build", "*", "symbolgraph"))
        if not found:
            sys.exit("no symbol graphs: run `swift package dump-symbol-graph --minimum-access-level public` first")
        directory = found[0]
    graphs = []
    for path in glob.glob(os.path.join(directory, "*.symbols.json")):
        module = os.path.basename(path).split(".symbols")[0].split("@")[0]
        if module in MODULES:
            graphs.append((module, json.load(open(path))))

    documented = {}  # precise identifier -> has docs
    requirements = {}  # protocol identifier -> set of member names
    for _, g in graphs:
        for s in g["symbols"]:
            documented[s["identifier"]["precise"]] = "docComment" in s
        names = {s["identifier"]["precise"]: s["pathComponents"][-1] for s in g["symbols"]}
        for r in g["relationships"]:
            if r["kind"] in ("requirementOf", "optionalRequirementOf"):
                requirements.setdefault(r["target"], set()).add(names.get(r["source"], ""))

    missing = []
    for module, g in graphs:
        parent = {}
        conforms = {}
        for r in g["relationships"]:
            if r["kind"] == "memberOf":
                parent[r["source"]] = r["target"]
            elif r["kind"] == "conformsTo":
                conforms.setdefault(r["source"], set()).add(r["target"])
            elif r["kind"] == "defaultImplementationOf":
                documented.setdefault(r["source"] + "#default", True)
        defaults = {r["source"] for r in g["relationships"] if r["kind"] == "defaultImplementationOf"}
        for s in g["symbols"]:
            if s.get("accessLevel") not in ("public", "open") or "docComment" in s:
                continue
            ident = s["identifier"]["precise"]
            name = s["pathComponents"][-1]
            kind = s["kind"]["identifier"]
            if kind == "swift.deinit" or ident in defaults:
                continue
            uri = s.get("location", {}).get("uri", "")
            if not uri or (f"/Sources/{module}/" not in uri and "/Examples/" not in uri):
                continue  # from a protocol extension elsewhere (or the standard library): its documentation is inherited
            if name in EXTERNAL_REQUIREMENTS:
                continue
            owner = parent.get(ident)
            inherited = any(name in requirements.get(p, set()) for p in conforms.get(owner, set()))
            if inherited:
                continue
            location = s.get("location", {})
            file = location.get("uri", "").split("/Sources/")[-1]
            line = location.get("position", {}).get("line", 0) + 1
            missing.append(f"Sources/{file}:{line}: {module} {kind.replace('swift.', '')} {'.'.join(s['pathComponents'])}")

    for m in sorted(set(missing)):
        print(m)
    if missing:
        print(f"{len(set(missing))} public symbol(s) without a DocC comment", file=sys.stderr)
        sys.exit(1)
    print("every public symbol is documented")


if __name__ == "__main__":
    main()
