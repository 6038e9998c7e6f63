import { bytesSerde, customSerde, DeserializationError, jsonSerde, stringSerde } from './serializers';

describe('serializers', () => {
  it('string round-trips UTF-8, including multi-byte characters', () => {
    const b = stringSerde.serialize('héllo 🌊', 't');
    expect(b.length).toBe(Buffer.byteLength('héllo 🌊'));
    expect(stringSerde.deserialize(b, 't')).toBe('héllo 🌊');
    expect(stringSerde.serialize('', 't').length).toBe(0);
  });

  it('bytes keeps a Buffer and wraps other views without copying', () => {
    const buf = Buffer.from([1, 2, 3]);
    expect(bytesSerde.serialize(buf, 't')).toBe(buf);
    const u8 = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    const wrapped = bytesSerde.serialize(u8, 't');
    expect([...wrapped]).toEqual([8, 7]);
    u8[0] = 42;
    expect(wrapped[0]).toBe(42);
    expect(bytesSerde.deserialize(buf, 't')).toBe(buf);
  });

  it('json round-trips values and names the topic on bad input', () => {
    const serde = jsonSerde<{ id: number; tags: string[] }>();
    const v = { id: 7, tags: ['a', 'b'] };
    expect(serde.deserialize(serde.serialize(v, 't'), 't')).toEqual(v);
    expect(() => serde.deserialize(Buffer.from('{nope'), 'orders')).toThrow(DeserializationError);
    expect(() => serde.deserialize(Buffer.from('{nope'), 'orders')).toThrow(/topic "orders"/);
    expect(() => jsonSerde().serialize(undefined, 'orders')).toThrow(/Cannot serialize undefined/);
  });

  it('custom serde wraps user functions', () => {
    const serde = customSerde<number>(
      (n) => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(n);
        return b;
      },
      (b) => b.readDoubleBE(0),
    );
    expect(serde.deserialize(serde.serialize(Math.PI, 't'), 't')).toBe(Math.PI);
  });
});
