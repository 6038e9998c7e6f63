/**
 * Kafka protocol primitives (https://kafka.apache.org/protocol#protocol_types): big-endian
 * fixed-width integers, unsigned varints (compact lengths, tagged fields), and the classic and
 * compact ("flexible version") forms of strings, bytes and arrays. The reader never reads past
 * its buffer: anything truncated or out of range throws a KafkaDecodeError, which the connection
 * answers by closing (as Kafka's broker does with a request it cannot parse).
 */

/** A request that cannot be decoded: truncated, a negative length, an unsafe int64, bad UTF-8. */
export class KafkaDecodeError extends Error {
  override readonly name = 'KafkaDecodeError';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Reads primitives from a buffer, front to back. */
export class WireReader {
  #pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.buf.length - this.#pos;
  }

  #need(n: number): number {
    if (n < 0 || this.#pos + n > this.buf.length)
      throw new KafkaDecodeError(`truncated: needs ${n} bytes at ${this.#pos}, has ${this.remaining}`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.#need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.#need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.#need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.#need(4));
  }
  /** An int64 as a number; values beyond ±2^53 are refused rather than rounded. */
  int64(): number {
    const v = this.buf.readBigInt64BE(this.#need(8));
    if (v > MAX_SAFE || v < -MAX_SAFE) throw new KafkaDecodeError(`int64 ${v} is not a safe integer`);
    return Number(v);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  /** An unsigned varint of at most 32 bits. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf.readUInt8(this.#need(1));
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw new KafkaDecodeError('unsigned varint is longer than 32 bits');
  }
  uuid(): string {
    const hex = this.buf.toString('hex', this.#need(16), this.#pos);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  raw(n: number): Buffer {
    const at = this.#need(n);
    return this.buf.subarray(at, at + n);
  }
  #utf8(n: number): string {
    const bytes = this.raw(n);
    const text = bytes.toString('utf8');
    if (Buffer.byteLength(text) !== n) throw new KafkaDecodeError('string is not valid UTF-8');
    return text;
  }
  /** Length-prefixed (int16) or compact (uvarint length + 1) string; null when the length says so. */
  nullableString(compact: boolean): string | null {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (n === -1) return null;
    if (n < 0) throw new KafkaDecodeError(`negative string length ${n}`);
    return this.#utf8(n);
  }
  nullableBytes(compact: boolean): Buffer | null {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n === -1) return null;
    if (n < 0) throw new KafkaDecodeError(`negative bytes length ${n}`);
    return this.raw(n);
  }
  /** An array's element count (-1 = null); refuses counts the remaining bytes cannot hold. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new KafkaDecodeError(`negative array length ${n}`);
    if (n > this.remaining) throw new KafkaDecodeError(`array of ${n} elements in ${this.remaining} bytes`);
    return n;
  }
}

/**
 * Byte strings at least this long are referenced by `WireWriter.raw`, not copied: a Fetch
 * response's record batches (up to max.partition.fetch.bytes per partition, 1 MiB by default) go
 * from the log read to the socket as they are, in one gathered write (see `chunks`).
 */
export const REFERENCE_MIN_BYTES = 16 * 1024;

/**
 * Appends primitives to a growing buffer. Large byte strings (`REFERENCE_MIN_BYTES`) are kept
 * as references, so the output is a list of pieces (`chunks`); `bytes` joins them.
 */
export class WireWriter {
  #buf = Buffer.allocUnsafe(256);
  #pos = 0;
  /** Finished pieces before `#buf`: earlier parts of it and referenced byte strings. */
  #chunks: Buffer[] = [];
  #chunkBytes = 0;

  #room(n: number): number {
    if (this.#pos + n > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
      this.#buf.copy(bigger, 0, 0, this.#pos);
      this.#buf = bigger;
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#chunkBytes + this.#pos;
  }

  int8(v: number): this {
    const at = this.#room(1);
    this.#buf.writeInt8(v, at);
    return this;
  }
  int16(v: number): this {
    const at = this.#room(2);
    this.#buf.writeInt16BE(v, at);
    return this;
  }
  int32(v: number): this {
    const at = this.#room(4);
    this.#buf.writeInt32BE(v, at);
    return this;
  }
  uint32(v: number): this {
    const at = this.#room(4);
    this.#buf.writeUInt32BE(v, at);
    return this;
  }
  int64(v: number): this {
    const at = this.#room(8);
    this.#buf.writeBigInt64BE(BigInt(v), at);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  uvarint(v: number): this {
    let rest = v;
    while (rest >= 0x80) {
      const at = this.#room(1);
      this.#buf.writeUInt8((rest & 0x7f) | 0x80, at);
      rest = Math.floor(rest / 128);
    }
    const at = this.#room(1);
    this.#buf.writeUInt8(rest, at);
    return this;
  }
  uuid(v: string): this {
    const hex = v.replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${v}`);
    const at = this.#room(16);
    Buffer.from(hex, 'hex').copy(this.#buf, at);
    return this;
  }
  /**
   * Appends `bytes`; from `REFERENCE_MIN_BYTES` on by reference, so they must not change until
   * the output is written.
   */
  raw(bytes: Uint8Array): this {
    if (bytes.length >= REFERENCE_MIN_BYTES) {
      this.#cut();
      this.#chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      this.#chunkBytes += bytes.length;
      return this;
    }
    const at = this.#room(bytes.length);
    this.#buf.set(bytes, at);
    return this;
  }
  nullableString(v: string | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    if (compact) this.uvarint(bytes.length + 1);
    else this.int16(bytes.length);
    return this.raw(bytes);
  }
  nullableBytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.int32(-1);
    if (compact) this.uvarint(v.length + 1);
    else this.int32(v.length);
    return this.raw(v);
  }
  arrayLength(n: number, compact: boolean): this {
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }
  /** Ends the current piece; later writes go to a new buffer, so the piece stays as it is. */
  #cut(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#chunkBytes += this.#pos;
    this.#buf = Buffer.allocUnsafe(256);
    this.#pos = 0;
  }

  /**
   * The bytes written so far as one buffer: a view (valid until the next write) unless a large
   * byte string was referenced, then a copy of every piece.
   */
  bytes(): Buffer {
    const tail = this.#buf.subarray(0, this.#pos);
    return this.#chunks.length === 0 ? tail : Buffer.concat([...this.#chunks, tail], this.length);
  }

  /**
   * The bytes written so far as pieces in order, large byte strings as the caller's own buffers
   * (for a gathered socket write without copying them). The writer must not be used afterwards.
   */
  chunks(): Buffer[] {
    this.#cut();
    return this.#chunks;
  }
}
