"""Kafka RecordBatch v2 (magic 2) in plain Python: decode and encode, for the shared test vectors.

The layout is docs/record-batch.md. The conformance client (conformance.py) produces plain
`Record` messages and does not need this module; it is here to prove the vectors decode and
re-encode byte for byte outside TypeScript. Codecs: gzip (stdlib), lz4 frame (`lz4`), zstd
(`zstandard`); snappy is refused as the broker refuses it.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass, field

import lz4.frame
import zstandard

HEADER_SIZE = 61
LOG_OVERHEAD = 12
COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
CONTROL_MASK = 0x20


def _crc32c_table() -> list[int]:
    # CRC-32C (Castagnoli): reflected polynomial 0x82F63B78 (0x1EDC6F41 unreflected), init and
    # final XOR 0xFFFFFFFF; check value crc32c(b"123456789") == 0xE3069283.
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def write_varint(out: bytearray, value: int) -> None:
    """Zig-zag, 7 bits a byte, low group first (Kafka's varint and varlong)."""
    z = (value << 1) ^ (value >> 63)
    z &= 0xFFFFFFFFFFFFFFFF
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = 0
    z = 0
    while True:
        if pos >= len(buf):
            raise ValueError("varint runs past the end of the records")
        b = buf[pos]
        pos += 1
        z |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")
    return (z >> 1) ^ -(z & 1), pos


@dataclass
class Header:
    key: str
    value: bytes | None


@dataclass
class Record:
    key: bytes | None
    value: bytes | None
    timestamp: int
    offset: int = 0
    headers: list[Header] = field(default_factory=list)


@dataclass
class Batch:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    first_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records: list[Record]
    records_section: bytes  # uncompressed
    payload: bytes  # as stored (compressed when attributes say so)

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK


_HEADER = struct.Struct(">qiibIhiqqqhii")


def compress(codec: int, raw: bytes) -> bytes:
    if codec == 0:
        return raw
    if codec == 1:
        return gzip.compress(raw, compresslevel=6, mtime=0)
    if codec == 3:
        return lz4.frame.compress(raw, block_size=lz4.frame.BLOCKSIZE_MAX64KB, content_checksum=False)
    if codec == 4:
        return zstandard.ZstdCompressor(level=3).compress(raw)
    raise ValueError(f"compression {codec} is not supported (none, gzip, lz4, zstd)")


def decompress(codec: int, data: bytes) -> bytes:
    if codec == 0:
        return data
    if codec == 1:
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if codec == 3:
        return lz4.frame.decompress(data)
    if codec == 4:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    raise ValueError(f"compression {codec} is not supported (none, gzip, lz4, zstd)")


def decode(batch: bytes) -> Batch:
    if len(batch) < HEADER_SIZE:
        raise ValueError(f"{len(batch)} bytes: a batch header needs {HEADER_SIZE}")
    (base_offset, batch_length, epoch, magic, crc, attributes, last_delta, first_ts, max_ts,
     producer_id, producer_epoch, base_sequence) = _HEADER.unpack_from(batch, 0)[:12]
    count = struct.unpack_from(">i", batch, 57)[0]
    if magic != 2:
        raise ValueError(f"magic {magic}, expected 2")
    if LOG_OVERHEAD + batch_length != len(batch):
        raise ValueError(f"batchLength {batch_length} does not match {len(batch)} bytes")
    if crc32c(batch[21:]) != crc:
        raise ValueError("CRC-32C mismatch")
    payload = batch[HEADER_SIZE:]
    section = decompress(attributes & COMPRESSION_MASK, payload)
    records = []
    pos = 0
    for _ in range(count):
        length, pos = read_varint(section, pos)
        end = pos + length
        pos += 1  # record attributes, unused
        ts_delta, pos = read_varint(section, pos)
        off_delta, pos = read_varint(section, pos)
        key, pos = _read_bytes(section, pos)
        value, pos = _read_bytes(section, pos)
        n_headers, pos = read_varint(section, pos)
        headers = []
        for _ in range(n_headers):
            hkey, pos = _read_bytes(section, pos)
            hvalue, pos = _read_bytes(section, pos)
            headers.append(Header(hkey.decode("utf-8"), hvalue))
        if pos != end:
            raise ValueError("record length does not match its fields")
        # timestampDelta is relative to firstTimestamp, offsetDelta to baseOffset; under
        # LogAppendTime every record reads maxTimestamp.
        timestamp = max_ts if attributes & TIMESTAMP_TYPE_MASK else first_ts + ts_delta
        records.append(Record(key, value, timestamp, base_offset + off_delta, headers))
    if pos != len(section):
        raise ValueError("records do not fill the batch")
    return Batch(base_offset, batch_length, epoch, magic, crc, attributes, last_delta, first_ts,
                 max_ts, producer_id, producer_epoch, base_sequence, records, section, payload)


def _read_bytes(buf: bytes, pos: int) -> tuple[bytes | None, int]:
    n, pos = read_varint(buf, pos)
    if n < 0:
        return None, pos
    if pos + n > len(buf):
        raise ValueError("field runs past the end of the records")
    return buf[pos:pos + n], pos + n


def encode_records(records: list[Record], first_timestamp: int, log_append_time: bool) -> bytes:
    """The uncompressed records section; offset deltas 0..n-1."""
    out = bytearray()
    for i, r in enumerate(records):
        body = bytearray([0])
        write_varint(body, 0 if log_append_time else r.timestamp - first_timestamp)
        write_varint(body, i)
        _write_bytes(body, r.key)
        _write_bytes(body, r.value)
        write_varint(body, len(r.headers))
        for h in r.headers:
            _write_bytes(body, h.key.encode("utf-8"))
            _write_bytes(body, h.value)
        write_varint(out, len(body))
        out += body
    return bytes(out)


def _write_bytes(out: bytearray, value: bytes | None) -> None:
    if value is None:
        write_varint(out, -1)
    else:
        write_varint(out, len(value))
        out += value


def encode(records: list[Record], *, attributes: int = 0, base_offset: int = 0,
           partition_leader_epoch: int = -1, producer_id: int = -1, producer_epoch: int = -1,
           base_sequence: int = -1, max_timestamp: int | None = None,
           payload: bytes | None = None) -> bytes:
    """A whole batch. `payload` reuses already-compressed records (compressor output differs
    between implementations, so the vectors' byte-for-byte check reuses the stored payload)."""
    first_ts = records[0].timestamp
    log_append_time = bool(attributes & TIMESTAMP_TYPE_MASK)
    if max_timestamp is None:
        max_timestamp = max(r.timestamp for r in records)
    if payload is None:
        section = encode_records(records, first_ts, log_append_time)
        payload = compress(attributes & COMPRESSION_MASK, section)
    after_crc = struct.pack(">hiqqqhii", attributes, len(records) - 1, first_ts, max_timestamp,
                            producer_id, producer_epoch, base_sequence, len(records)) + payload
    batch_length = len(after_crc) + 9  # epoch (4) + magic (1) + crc (4)
    return (struct.pack(">qiib", base_offset, batch_length, partition_leader_epoch, 2)
            + struct.pack(">I", crc32c(after_crc)) + after_crc)
