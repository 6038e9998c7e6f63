import { AclAuthorizer } from '@tributary/auth';
import { KAFKA_AUTHORIZATION, OPEN_KAFKA_APIS } from './kafka-authorization';
import { servedApis } from './served-apis';

describe('KAFKA_AUTHORIZATION', () => {
  it('has a rule for every API the listener serves, but ApiVersions and SASL', () => {
    // Handlers are only built, never called: any dependency will do.
    const anything: object = new Proxy(() => undefined, { get: () => anything, apply: () => anything });
    const served = servedApis({
      dataPlane: anything,
      metadata: anything,
      clients: anything,
      groups: anything,
      clusterId: 'c',
      brokerId: 0,
      sasl: { logger: { info: () => undefined } },
      authorizer: () => new AclAuthorizer([]),
    } as unknown as Parameters<typeof servedApis>[0]);
    const keys = [...served.keys()].filter((k) => !OPEN_KAFKA_APIS.has(k)).sort((a, b) => a - b);
    expect(keys.length).toBeGreaterThan(15);
    expect(
      Object.keys(KAFKA_AUTHORIZATION)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(keys);
    expect([...OPEN_KAFKA_APIS].every((k) => served.has(k))).toBe(true);
  });
});
