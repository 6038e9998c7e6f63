/**
 * A small declarative form of Kafka's message schemas (the facts of Kafka's
 * `common/message/*.json`: fields, their types, the versions they exist in, nullability, tagged
 * fields, and the version from which a message is "flexible"), and the one generic codec that
 * reads and writes any declared message at any declared version. Messages are plain objects keyed
 * by the field names declared here; a field absent from a version decodes to its default, and a
 * field absent from a value encodes as its default.
 *
 * Flexible versions (KIP-482) switch strings, bytes and arrays to their compact forms and end
 * every struct with a tagged-field section; unknown tags are skipped, as Kafka does.
 */
import { KafkaDecodeError, WireReader, WireWriter } from './wire';

export type Primitive = 'int8' | 'int16' | 'int32' | 'int64' | 'bool' | 'string' | 'bytes' | 'uuid';

/** A field's type: a primitive, a nested struct, or an array of either. */
export type FieldType = Primitive | { readonly struct: readonly Field[] } | { readonly array: FieldType };

/** One field of a message or struct. */
export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** First and last version the field exists in (inclusive). */
  readonly min: number;
  readonly max: number;
  /** May hold null (strings, bytes, arrays). */
  readonly nullable: boolean;
  /** A tagged field's tag (flexible versions only). */
  readonly tag?: number;
  /** The value for versions without the field, and for an encode that leaves it out. */
  readonly default?: unknown;
}

/** A decoded or to-be-encoded message: field name to value. */
export type Message = Record<string, unknown>;

interface FieldOptions {
  readonly nullable?: boolean;
  readonly tag?: number;
  readonly default?: unknown;
}

function versions(range: string): [number, number] {
  const m = /^(\d+)(\+|-(\d+))?$/.exec(range);
  if (!m) throw new Error(`bad version range ${range}`);
  const min = Number(m[1]);
  if (m[2] === '+') return [min, Number.MAX_SAFE_INTEGER];
  return [min, m[3] === undefined ? min : Number(m[3])];
}

/** Declares a field, with Kafka's version-range syntax ("3+", "0-8", "4"). */
export function field(name: string, type: FieldType, range: string, options: FieldOptions = {}): Field {
  const [min, max] = versions(range);
  return {
    name,
    type,
    min,
    max,
    nullable: options.nullable ?? false,
    tag: options.tag,
    default: options.default,
  };
}

/** An array of structs with these fields. */
export const structs = (fields: readonly Field[]): FieldType => ({ array: { struct: fields } });
/** An array of a primitive. */
export const arrayOf = (type: Primitive): FieldType => ({ array: type });

function defaultOf(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  if (f.nullable && typeof f.type !== 'string') return null;
  return zero(f.type);
}

function zero(type: FieldType): unknown {
  if (typeof type !== 'string') return 'array' in type ? [] : {};
  switch (type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    default:
      return 0;
  }
}

const inVersion = (f: Field, version: number) => version >= f.min && version <= f.max;

/** Reads a struct of `fields` at `version`. */
export function readStruct(
  r: WireReader,
  fields: readonly Field[],
  version: number,
  flexible: boolean,
): Message {
  const out: Message = {};
  for (const f of fields) {
    if (!inVersion(f, version) || (f.tag !== undefined && !flexible)) out[f.name] = defaultOf(f);
    else if (f.tag === undefined) out[f.name] = readValue(r, f.type, f, version, flexible);
    else out[f.name] = defaultOf(f);
  }
  if (flexible) {
    const count = r.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      const body = r.raw(size);
      const known = fields.find((f) => f.tag === tag && inVersion(f, version));
      if (known) {
        // A tagged field is decoded from its own slice, so a bad one cannot misalign the rest.
        out[known.name] = readValue(new WireReader(body), known.type, known, version, flexible);
      }
    }
  }
  return out;
}

function readValue(r: WireReader, type: FieldType, f: Field, version: number, flexible: boolean): unknown {
  if (typeof type === 'string') {
    switch (type) {
      case 'int8':
        return r.int8();
      case 'int16':
        return r.int16();
      case 'int32':
        return r.int32();
      case 'int64':
        return r.int64();
      case 'bool':
        return r.bool();
      case 'uuid':
        return r.uuid();
      case 'string': {
        const s = r.nullableString(flexible);
        if (s === null && !f.nullable) throw new KafkaDecodeError(`${f.name} must not be null`);
        return s;
      }
      case 'bytes': {
        const b = r.nullableBytes(flexible);
        if (b === null && !f.nullable) throw new KafkaDecodeError(`${f.name} must not be null`);
        return b;
      }
    }
  }
  if ('struct' in type) return readStruct(r, type.struct, version, flexible);
  const n = r.arrayLength(flexible);
  if (n === -1) {
    if (!f.nullable) throw new KafkaDecodeError(`${f.name} must not be null`);
    return null;
  }
  const items: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readValue(r, type.array, f, version, flexible);
  return items;
}

/** Writes a struct of `fields` at `version`. */
export function writeStruct(
  w: WireWriter,
  fields: readonly Field[],
  value: Message,
  version: number,
  flexible: boolean,
): void {
  const tagged: Field[] = [];
  for (const f of fields) {
    if (!inVersion(f, version)) continue;
    if (f.tag !== undefined) {
      if (flexible && value[f.name] !== undefined) tagged.push(f);
      continue;
    }
    const v = value[f.name] === undefined ? defaultOf(f) : value[f.name];
    writeValue(w, f.type, f, v, version, flexible);
  }
  if (flexible) {
    w.uvarint(tagged.length);
    for (const f of tagged.sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0))) {
      const body = new WireWriter();
      writeValue(body, f.type, f, value[f.name], version, flexible);
      const bytes = body.bytes();
      w.uvarint(f.tag ?? 0)
        .uvarint(bytes.length)
        .raw(bytes);
    }
  }
}

function writeValue(
  w: WireWriter,
  type: FieldType,
  f: Field,
  v: unknown,
  version: number,
  flexible: boolean,
): void {
  if (typeof type === 'string') {
    switch (type) {
      case 'int8':
        w.int8(v as number);
        return;
      case 'int16':
        w.int16(v as number);
        return;
      case 'int32':
        w.int32(v as number);
        return;
      case 'int64':
        w.int64(v as number);
        return;
      case 'bool':
        w.bool(v as boolean);
        return;
      case 'uuid':
        w.uuid(v as string);
        return;
      case 'string':
        w.nullableString(v as string | null, flexible);
        return;
      case 'bytes':
        w.nullableBytes(v as Uint8Array | null, flexible);
        return;
    }
  }
  if ('struct' in type) {
    writeStruct(w, type.struct, v as Message, version, flexible);
    return;
  }
  if (v === null) {
    w.arrayLength(-1, flexible);
    return;
  }
  const items = v as unknown[];
  w.arrayLength(items.length, flexible);
  for (const item of items) writeValue(w, type.array, f, item, version, flexible);
}
