#!/usr/bin/env python3
"""Reads Avro object container files with fastavro (PyPI; an independent reader, with cramjam for
snappy and zstandard for zstandard) in pairs: a file ConnectKit wrote and the reference file Apache
Avro's DataFileWriter wrote with the same records. Prints one line per pair:
"<codec of ours> <records> equal" or "<codec> <records> DIFFERENT: ...". Exit status 1 on any error."""
import sys

import fastavro
import fastavro.read

# Compare the encoded values themselves: no conversion of logical types to Python objects (random
# test data holds dates and times Python's datetime cannot, and UUID strings that are not UUIDs).
fastavro.read.LOGICAL_READERS.clear()


def read(path):
    with open(path, "rb") as f:
        reader = fastavro.reader(f)
        codec = reader.codec
        return codec, list(reader)


def main(paths):
    failed = False
    for ours, reference in zip(paths[::2], paths[1::2]):
        try:
            codec, records = read(ours)
            _, expected = read(reference)
        except Exception as e:  # a file fastavro cannot read is the failure this script reports
            print("%s ERROR %s: %s" % (ours, type(e).__name__, e))
            failed = True
            continue
        # repr: NaN equals NaN, -0.0 differs from 0.0.
        if repr(records) == repr(expected):
            print("%s %d equal" % (codec, len(records)))
        else:
            first = next((i for i, (a, b) in enumerate(zip(records, expected)) if repr(a) != repr(b)), min(len(records), len(expected)))
            print("%s %d DIFFERENT at record %d: %r != %r" % (codec, len(records), first,
                  records[first] if first < len(records) else None, expected[first] if first < len(expected) else None))
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
