/**
 * JSON written straight into a growing Buffer: the OTLP/JSON writer's output (otlp-json.ts).
 *
 * Why bytes and not a string: a span's OTLP/JSON built by string concatenation made about
 * 5.3 KB of JavaScript garbage for 736 bytes of text (every piece, `JSON.stringify` of each key
 * and value, the cons strings joining them, the flattened copies), all of it in the young
 * generation of a producer whose scavenges copy every record still in flight: at 1 % sampling
 * that was about seven more scavenges per 1,000,000 records (docs/observability.md, seventh
 * pass). Here the constant pieces and the ASCII values are copied byte by byte, numbers are
 * written as digits, and only a string that needs escaping (or is not ASCII) goes through
 * `JSON.stringify`; the only allocation is the Buffer, outside the JavaScript heap.
 */
export class JsonBytes {
  #buf: Buffer;
  #pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes written so far (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.#buf.subarray(0, this.#pos);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  /** Text that is ASCII and needs no escaping: JSON punctuation, keys, ids, digits. */
  raw(s: string): this {
    const n = s.length;
    this.#room(n);
    if (n > 64) this.#pos += this.#buf.write(s, this.#pos, 'latin1');
    else {
      const buf = this.#buf;
      let pos = this.#pos;
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
      this.#pos = pos;
    }
    return this;
  }

  /** A JSON string literal of `s`, escaped as `JSON.stringify` escapes it. */
  string(s: string): this {
    if (!plainAscii(s)) {
      const quoted = JSON.stringify(s);
      this.#room(Buffer.byteLength(quoted, 'utf8'));
      this.#pos += this.#buf.write(quoted, this.#pos, 'utf8');
      return this;
    }
    this.#room(s.length + 2);
    this.#buf[this.#pos++] = 0x22;
    this.raw(s);
    this.#buf[this.#pos++] = 0x22;
    return this;
  }

  /** A number as `String(n)` writes it (digits without a string for safe integers). */
  number(n: number): this {
    if (!Number.isSafeInteger(n)) return this.raw(String(n));
    if (n < 0) {
      this.raw('-');
      n = -n;
    }
    return this.digits(n, 1);
  }

  /** A non-negative safe integer in decimal, left-padded with zeros to `width` digits. */
  digits(n: number, width: number): this {
    let count = 1;
    for (let p = 10; p <= n && count < 16; p *= 10) count++;
    const len = Math.max(count, width);
    this.#room(len);
    const buf = this.#buf;
    let pos = this.#pos + len;
    this.#pos = pos;
    for (let i = 0; i < len; i++) {
      buf[--pos] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    return this;
  }
}

/** Whether `s` is printable ASCII without `"` or `\`: JSON writes it as it is. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
