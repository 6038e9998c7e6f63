import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_TABLE } from './error-table';

/**
 * The proto `ErrorCode` enum (proto/tributary/v1/errors.proto) mirrors ERROR_TABLE: one value
 * `ERROR_CODE_<NAME> = <code>` per row, whose comment ends with "Retriable." or "Not retriable."
 * as the row says. Parsed as text so this package needs no proto tooling.
 */
const ERRORS_PROTO = path.resolve(__dirname, '../../../proto/tributary/v1/errors.proto');

interface ProtoEnumValue {
  readonly name: string;
  readonly code: number;
  /** The leading `//` comment lines, joined with spaces, without lint directives. */
  readonly comment: string;
}

function parseErrorCodeEnum(source: string): ProtoEnumValue[] {
  const body = /^enum ErrorCode \{\n([\s\S]*?)^\}/m.exec(source)?.[1];
  if (body === undefined) throw new Error(`no "enum ErrorCode { ... }" in ${ERRORS_PROTO}`);
  const values: ProtoEnumValue[] = [];
  let comment: string[] = [];
  for (const rawLine of body.split('\n')) {
    const line = rawLine.trim();
    if (line.startsWith('//')) {
      const text = line.slice(2).trim();
      if (!text.startsWith('buf:lint:')) comment.push(text);
      continue;
    }
    const value = /^([A-Z0-9_]+)\s*=\s*(-?\d+)\s*;$/.exec(line);
    if (value !== null) {
      values.push({ name: value[1]!, code: Number(value[2]), comment: comment.join(' ') });
    } else if (line !== '') {
      throw new Error(`unexpected line in enum ErrorCode: ${line}`);
    }
    comment = [];
  }
  return values;
}

const protoValues = parseErrorCodeEnum(readFileSync(ERRORS_PROTO, 'utf8'));
const protoByName = new Map(protoValues.map((v) => [v.name, v]));
const tableByProtoName = new Map(ERROR_TABLE.map((e) => [`ERROR_CODE_${e.name}`, e]));

describe('proto ErrorCode mirrors ERROR_TABLE', () => {
  it('parses a plausible enum', () => {
    expect(protoValues.length).toBeGreaterThan(10);
    expect(protoValues[0]).toMatchObject({ name: 'ERROR_CODE_NONE', code: 0 });
  });

  it('has an enum value with the same code for every table row', () => {
    const missing = ERROR_TABLE.filter((row) => protoByName.get(`ERROR_CODE_${row.name}`)?.code !== row.code);
    expect(missing.map((row) => `ERROR_CODE_${row.name} = ${row.code};`)).toEqual([]);
  });

  it('has a table row with the same code for every enum value', () => {
    const extra = protoValues.filter((value) => tableByProtoName.get(value.name)?.code !== value.code);
    expect(extra.map((value) => `${value.name} = ${value.code}`)).toEqual([]);
  });

  it('has no duplicate names or codes', () => {
    expect(new Set(protoValues.map((v) => v.name)).size).toBe(protoValues.length);
    expect(new Set(protoValues.map((v) => v.code)).size).toBe(protoValues.length);
  });

  it('says in each comment whether the code is retriable, as the table does', () => {
    const wrong = protoValues
      .filter((value) => value.code !== 0)
      .filter((value) => {
        const expected = tableByProtoName.get(value.name)?.retriable ? 'Retriable.' : 'Not retriable.';
        return !value.comment.endsWith(` ${expected}`);
      });
    expect(wrong.map((value) => `${value.name}: ${value.comment}`)).toEqual([]);
  });
});

describe('the refreshMetadata column', () => {
  it('marks exactly the errors that mean "where the partition lives has changed"', () => {
    const refresh = ERROR_TABLE.filter((e) => e.refreshMetadata).map((e) => e.name);
    expect(refresh).toEqual(
      expect.arrayContaining([
        'NOT_LEADER_OR_FOLLOWER',
        'LEADER_NOT_AVAILABLE',
        'FENCED_LEADER_EPOCH',
        'UNKNOWN_LEADER_EPOCH',
        'UNKNOWN_TOPIC_OR_PARTITION',
        'BROKER_NOT_AVAILABLE',
      ]),
    );
    // A refresh only helps before a retry.
    expect(ERROR_TABLE.filter((e) => e.refreshMetadata && !e.retriable)).toEqual([]);
  });
});
