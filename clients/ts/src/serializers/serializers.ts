/**
 * Serializers turn application values into record bytes and back. The producer applies a
 * `Serializer` to keys and values before partitioning (the partitioner hashes the serialized key
 * bytes, as Kafka does); the consumer applies a `Deserializer` to what it fetched. `null` passes
 * through untouched both ways: a null key lets the partitioner choose, a null value is a
 * tombstone.
 */

/** Turns a value into bytes. Must be synchronous and side-effect free: it runs per record. */
export type Serializer<T> = (value: T, topic: string) => Buffer;

/** Turns bytes back into a value. Must be synchronous: it runs per record. */
export type Deserializer<T> = (bytes: Buffer, topic: string) => T;

/** A serializer and its matching deserializer. */
export interface Serde<T> {
  readonly serialize: Serializer<T>;
  readonly deserialize: Deserializer<T>;
}

/** UTF-8 strings. */
export const stringSerde: Serde<string> = Object.freeze({
  serialize: (value: string) => Buffer.from(value, 'utf8'),
  deserialize: (bytes: Buffer) => bytes.toString('utf8'),
});

/**
 * Raw bytes, unchanged. Serializing accepts any `Uint8Array` (a `Buffer` is kept as is; other
 * views are wrapped without copying); deserializing returns the fetched view, which aliases the
 * fetch buffer: copy it (`Buffer.from(bytes)`) to keep it beyond the handler.
 */
export const bytesSerde: Serde<Buffer> & { readonly serialize: Serializer<Uint8Array> } = Object.freeze({
  serialize: (value: Uint8Array) =>
    Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  deserialize: (bytes: Buffer) => bytes,
});

/** Thrown by the JSON deserializer on bytes that are not JSON; names the topic. */
export class DeserializationError extends Error {
  readonly topic: string;
  constructor(topic: string, problem: string, options?: { cause?: unknown }) {
    super(
      `Could not deserialize a record of topic "${topic}": ${problem}. Use a deserializer that matches what the producer wrote.`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'DeserializationError';
    this.topic = topic;
  }
}

/**
 * JSON text in UTF-8. `T` is what you promise the topic holds; nothing is validated beyond
 * parsing (validate in the handler, or pass a `reviver`-based custom serde).
 */
export function jsonSerde<T = unknown>(): Serde<T> {
  return {
    serialize: (value: T, topic: string) => {
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new TypeError(`Cannot serialize ${typeof value} as JSON for topic "${topic}"`);
      }
      return Buffer.from(text, 'utf8');
    },
    deserialize: (bytes: Buffer, topic: string) => {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch (err) {
        throw new DeserializationError(topic, (err as Error).message, { cause: err });
      }
    },
  };
}

/** Builds a serde from two functions, e.g. for Avro or Protobuf encoders. */
export function customSerde<T>(serialize: Serializer<T>, deserialize: Deserializer<T>): Serde<T> {
  return { serialize, deserialize };
}
