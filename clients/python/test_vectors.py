"""The shared RecordBatch v2 vectors (packages/record-batch/vectors/*.json) in Python.

For each vector: decode it to the header fields and records the file states; re-encode the
records to the uncompressed records section byte for byte (recordsHex); rebuild the whole batch
byte for byte (with the stored payload where compressed: compressor output differs between
implementations); and compress with this codec and decode back to the same records.
Run: python clients/python/test_vectors.py  (prints one line per check and `N passed, N failed`).
"""

from __future__ import annotations

import json
import pathlib
import sys

import record_batch as rb

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "packages" / "record-batch" / "vectors"


def hex_or_none(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def plain(records: list[rb.Record]) -> list[dict]:
    return [{"offset": r.offset, "timestamp": r.timestamp, "key": hex_or_none(r.key),
             "value": hex_or_none(r.value),
             "headers": [{"key": h.key, "value": hex_or_none(h.value)} for h in r.headers]}
            for r in records]


def check(vector: dict) -> None:
    raw = bytes.fromhex(vector["hex"])
    b = rb.decode(raw)
    h = vector["header"]
    got = {"baseOffset": b.base_offset, "batchLength": b.batch_length,
           "partitionLeaderEpoch": b.partition_leader_epoch, "magic": b.magic, "crc": b.crc,
           "attributes": b.attributes, "lastOffsetDelta": b.last_offset_delta,
           "firstTimestamp": b.first_timestamp, "maxTimestamp": b.max_timestamp,
           "producerId": b.producer_id, "producerEpoch": b.producer_epoch,
           "baseSequence": b.base_sequence, "recordCount": len(b.records)}
    assert got == h, f"header {got} != {h}"
    assert plain(b.records) == vector["records"], "records differ"

    lat = bool(b.attributes & rb.TIMESTAMP_TYPE_MASK)
    section = rb.encode_records(b.records, b.first_timestamp, lat)
    assert section.hex() == vector["recordsHex"], "re-encoded records section differs"

    common = dict(attributes=b.attributes, base_offset=b.base_offset,
                  partition_leader_epoch=b.partition_leader_epoch, producer_id=b.producer_id,
                  producer_epoch=b.producer_epoch, base_sequence=b.base_sequence,
                  max_timestamp=b.max_timestamp)
    payload = b.payload if b.compression else None
    again = rb.encode(b.records, payload=payload, **common)
    assert again.hex() == vector["hex"], "re-encoded batch differs"

    ours = rb.decode(rb.encode(b.records, **common))
    assert plain(ours.records) == vector["records"], "own compression does not round-trip"


def main() -> int:
    files = sorted(VECTORS.glob("*.json"))
    if not files:
        print(f"no vectors in {VECTORS}")
        return 1
    passed = failed = 0
    for f in files:
        try:
            check(json.loads(f.read_text()))
            print(f"ok   python vector {f.stem}")
            passed += 1
        except Exception as err:  # noqa: BLE001 - report every vector
            print(f"FAIL python vector {f.stem}: {err}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
